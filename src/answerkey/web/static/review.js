// The review page's keyboard: 1..9 choose a candidate label (and move to the reason box), Enter in the reason
// box decides, Esc leaves it, n / j go to the next item without deciding, ? shows the shortcuts. No build step.
"use strict";
(function () {
  const form = document.getElementById("decide");
  const reason = document.getElementById("note");
  const next = document.getElementById("next-item");
  const help = document.getElementById("shortcuts");
  const helpButton = document.getElementById("show-shortcuts");

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(el.type);
  }

  function markChosen() {
    if (!form) return;
    for (const card of form.querySelectorAll(".candidate")) {
      const radio = card.querySelector('input[name="label"]');
      card.classList.toggle("chosen", Boolean(radio && radio.checked));
    }
  }

  function choose(key) {
    const radio = form && form.querySelector(`input[name="label"][data-key="${key}"]`);
    if (!radio) return false;
    radio.checked = true;
    markChosen();
    reason.focus();
    return true;
  }

  function decide() {
    if (!form.querySelector('input[name="label"]:checked')) {
      const first = form.querySelector('input[name="label"]');
      if (first) first.focus();
      form.reportValidity();
      return;
    }
    form.requestSubmit();
  }

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  if (form) {
    form.addEventListener("change", markChosen);
    // A click anywhere on a card chooses it (the radio and its label already do).
    for (const card of form.querySelectorAll(".candidate")) {
      card.addEventListener("click", (event) => {
        if (event.target.closest("input, label, a")) return;
        const radio = card.querySelector('input[name="label"]');
        if (radio) { radio.checked = true; markChosen(); }
      });
    }
    form.addEventListener("submit", () => {
      const button = document.getElementById("decide-button");
      if (button) { button.disabled = true; button.textContent = "Deciding…"; }
    });
    markChosen();
  }
  if (helpButton) helpButton.addEventListener("click", toggleHelp);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (form && target === reason) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); decide(); }
      else if (event.key === "Escape") { event.preventDefault(); reason.blur(); }
      return;
    }
    if (typing(target)) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (help && help.open) return;  // the dialog keeps Esc and Tab for itself
    if (/^[1-9]$/.test(event.key)) {
      if (choose(event.key)) event.preventDefault();
    } else if ((event.key === "n" || event.key === "j") && next) {
      event.preventDefault();
      window.location.assign(next.href);
    }
  });
})();
