"""Near-duplicate texts by MinHash LSH over word n-grams, vectorised in numpy, re-checked with exact Jaccard.

The machinery behind the ``near_text`` tier of :func:`answerkey.splits.contamination.contamination_pairs`:

1. :func:`normalise_text` puts every text in one form (NFKC, casefold, punctuation to spaces, single spaces).
2. :func:`shingle_hashes` turns each document's words into word n-gram shingles, each a 64-bit hash built
   from datasketch's ``sha1_hash64`` of its words (:func:`shingle_hash` is the same hash for one shingle).
3. :func:`minhash_signatures` computes MinHash signatures in chunks, equal value for value to datasketch's
   ``MinHash(num_perm, seed)`` of the default ``affine32`` scheme fed the same shingles through
   :func:`datasketch_hashfunc` (its permutations, the MurmurHash3 pre-mix, ``a * h + b mod 2**32``).
4. :func:`lsh_bands` takes the bands and rows from datasketch's ``MinHashLSH`` with weights favouring recall,
   since every candidate is re-checked exactly; :func:`candidate_pairs` is the banding as a sort-based join on
   band hashes, only between documents of different splits, generated and verified in bounded chunks.
5. Candidates whose b-bit MinHash estimate is clearly below the threshold are dropped (``ESTIMATE_MARGIN``);
   :func:`jaccard` computes the exact Jaccard index of the shingle sets of the rest.

The per-document Python loop of ``MinHash.update`` and ``MinHashLSH.insert`` is what this replaces: here each
step is a handful of numpy passes over all shingles at once.

References
----------
.. [1] Broder, A. Z. (1997). On the resemblance and containment of documents. Compression and Complexity of
   Sequences.
.. [2] Leskovec, J., Rajaraman, A., Ullman, J. D. (2020). Mining of Massive Datasets, 3rd ed., chapter 3.
.. [3] Li, P., König, A. C. (2010). b-Bit minwise hashing. WWW '10.
"""

from __future__ import annotations

import functools
import math
import sys
import unicodedata
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash64

__all__ = [
    "CANDIDATES_PER_CHUNK",
    "ESTIMATE_MARGIN",
    "FALSE_NEGATIVE_WEIGHT",
    "SIGNATURE_CELLS",
    "candidate_pairs",
    "datasketch_hashfunc",
    "jaccard",
    "lsh_bands",
    "minhash_signatures",
    "near_duplicate_documents",
    "normalise_text",
    "shingle_hash",
    "shingle_hashes",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

FALSE_NEGATIVE_WEIGHT = 0.9
"""Weight of a missed pair against a needless candidate when choosing bands (datasketch's default is 0.5).

Every candidate is re-checked with the exact Jaccard index, so a false candidate costs a little time and a
missed pair costs a finding: at threshold 0.8 and 128 permutations this picks 14 bands of 9 rows, which finds
a pair at Jaccard 0.8 with probability 0.87 and at 0.9 with 0.999 (datasketch's 9 x 13: 0.40 and 0.93).
"""
ESTIMATE_MARGIN = 3.0
"""Candidates whose MinHash estimate of Jaccard falls more than this many standard errors (``sqrt(t (1 - t) /
m)``) below the threshold ``t`` are dropped before the exact check. The estimate uses the low 8 bits of each
signature value (b-bit MinHash, Li and König 2010; one byte a permutation a document) over the ``m``
permutations outside the band the pair was found in (those agree by construction); a pair right at the
threshold is dropped with probability about 0.1%, and templated texts that share many band buckets at
Jaccard 0.5-0.7 mostly cost a comparison of bytes instead of an exact Jaccard."""
CANDIDATES_PER_CHUNK = 1 << 18
"""Candidate pairs generated and verified at once, which bounds memory when texts collide in many buckets."""
SIGNATURE_CELLS = 1 << 25
"""Shingles x permutations computed at once (128 MiB of uint32), which bounds the memory of the signatures."""
_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15
"""The 64-bit golden-ratio constant that chains word hashes into a shingle hash (odd, so a bijection)."""


@functools.cache
def _punctuation_table() -> dict[int, str]:
    """Every Unicode punctuation code point (general category P*) mapped to a space."""
    return {c: " " for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)).startswith("P")}


def normalise_text(text: object) -> str:
    """One form for a text: NFKC, casefolded, punctuation turned to spaces, words single-spaced.

    Punctuation is Unicode general category P (``.,;:!?'"-()[]{}`` and their kin in every script); symbols
    such as ``$``, ``%`` or ``+`` are kept. A punctuation mark becomes a space, so ``"refund,please"`` and
    ``"refund, please"`` agree. Missing values (None, NaN) are the empty text; anything else not a string is
    its ``str``. The punctuation table is built once, on first use (about half a second).

    >>> normalise_text("  \\uff32efund   NOT received!! (order #12, 5$) ")
    'refund not received order 12 5$'
    """
    if not isinstance(text, str):
        if text is None or (pd.api.types.is_scalar(text) and bool(pd.isna(text))):  # type: ignore[call-overload]
            return ""
        text = str(text)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_punctuation_table()).split())


def _fmix64(values: U64) -> U64:
    """MurmurHash3's 64-bit finalizer: an avalanching bijection, wrapping arithmetic."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def _fmix64_int(value: int) -> int:
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & _MASK64
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & _MASK64
    return value ^ (value >> 33)


def _column_seed(column: int) -> int:
    """Where a shingle's hash starts: distinct per text column, so equal words in two columns differ."""
    return _fmix64_int(((column + 1) * _MIX) & _MASK64)


def shingle_hash(shingle: Sequence[str], column: int = 0) -> int:
    """The 64-bit hash of one shingle (a tuple of words) of text column ``column``, as the vectorised path does.

    Each word is hashed with datasketch's ``sha1_hash64`` of its UTF-8 bytes, then chained:
    ``h = fmix64(h * 0x9E3779B97F4A7C15 + word_hash)`` from a start that depends on the column.

    >>> shingle_hash(("refund", "not", "received")) == shingle_hash(("refund", "not", "received"))
    True
    >>> shingle_hash(("refund", "not")) == shingle_hash(("not", "refund"))
    False
    """
    value = _column_seed(column)
    for word in shingle:
        value = _fmix64_int((value * _MIX + int(sha1_hash64(word.encode("utf-8")))) & _MASK64)
    return value


def _fold32(values: U64) -> npt.NDArray[np.uint32]:
    return ((values ^ (values >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def datasketch_hashfunc(shingle: Sequence[str], column: int = 0) -> int:
    """The 32-bit hash datasketch's ``MinHash(hashfunc=...)`` needs to reproduce :func:`minhash_signatures`.

    ``MinHash(num_perm, seed=seed, hashfunc=datasketch_hashfunc)`` updated with the shingles (word tuples) of
    one column-0 text has the same ``hashvalues`` as its row of :func:`minhash_signatures`.
    """
    value = shingle_hash(shingle, column)
    return (value ^ (value >> 32)) & 0xFFFFFFFF


def shingle_hashes(texts: Sequence[str], ngram: int, column: int = 0) -> tuple[U64, I64]:
    """Word n-gram shingle hashes of normalised texts, in document order: ``(hashes, document of each)``.

    A text of ``ngram`` words or more has one shingle per window of ``ngram`` consecutive words; a shorter,
    non-empty text has one shingle, its whole word list; an empty text has none. Repeated shingles of one
    text are kept (MinHash ignores them; :func:`jaccard` counts sets).

    >>> hashes, docs = shingle_hashes(["a b c d", "a b", ""], ngram=3)
    >>> docs.tolist()
    [0, 0, 1]
    >>> int(hashes[2]) == shingle_hash(("a", "b"))
    True
    """
    tokens = pc.split_pattern(pa.array(texts, type=pa.large_string()), pattern=" ")
    lengths = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    words = pc.list_flatten(tokens)
    empty = pc.equal(words, "").to_numpy(zero_copy_only=False)
    if empty.any():  # only an empty text splits into an empty word
        words = words.filter(pa.array(~empty))
        lengths[np.fromiter((not text for text in texts), dtype=bool, count=len(texts))] = 0
    encoded = words.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocabulary = encoded.dictionary.to_pylist()
    word_hashes = np.fromiter((sha1_hash64(word.encode("utf-8")) for word in vocabulary), dtype=np.uint64,
                              count=len(vocabulary))
    token_hashes = word_hashes[codes] if len(codes) else np.zeros(0, dtype=np.uint64)
    counts = np.where(lengths > 0, np.maximum(lengths - ngram + 1, 1), 0)
    total = int(counts.sum())
    documents = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    first_word = np.cumsum(lengths) - lengths
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    starts = np.repeat(first_word, counts) + within
    sizes = np.minimum(np.repeat(lengths, counts), ngram)
    hashes = np.full(total, _column_seed(column), dtype=np.uint64)
    for offset in range(ngram):
        present = sizes > offset
        if present.all():
            hashes = _fmix64(hashes * np.uint64(_MIX) + token_hashes[starts + offset])
        elif present.any():
            hashes[present] = _fmix64(hashes[present] * np.uint64(_MIX) + token_hashes[starts[present] + offset])
    return hashes, documents


def _permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """datasketch's own ``affine32`` permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``."""
    sketch = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    a, b = sketch.permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)


def _fmix32(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer, the pre-mix of datasketch's ``affine32`` scheme."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def minhash_signatures(hashes: U64, documents: I64, documents_count: int, num_perm: int = 128,
                       seed: int = 1) -> npt.NDArray[np.uint32]:
    """MinHash signatures, one row of ``num_perm`` uint32 per document, as datasketch computes them.

    ``documents`` must be sorted (as :func:`shingle_hashes` returns it). A document without shingles keeps
    datasketch's empty value, ``2**32 - 1`` everywhere. Documents with the same number of shingles ``k`` are
    permuted together as one (documents, k, permutations) block and reduced along ``k``, at most
    ``SIGNATURE_CELLS`` cells at a time, which bounds the memory used.
    """
    a, b = _permutations(num_perm, seed)
    signatures = np.full((documents_count, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = _fmix32(_fold32(hashes))
    counts = np.bincount(documents, minlength=documents_count)
    starts = np.cumsum(counts) - counts
    for size in np.unique(counts[counts > 0]).tolist():
        sized = np.flatnonzero(counts == size)
        batch = SIGNATURE_CELLS // (size * num_perm)
        if batch == 0:  # a document too long for one block: fold its shingles in slices
            step = max(1, SIGNATURE_CELLS // num_perm)
            for document in sized.tolist():
                for first in range(int(starts[document]), int(starts[document]) + size, step):
                    last = min(int(starts[document]) + size, first + step)
                    block = np.multiply.outer(mixed[first:last], a)
                    block += b
                    np.minimum(signatures[document], block.min(axis=0), out=signatures[document])
            continue
        for first in range(0, len(sized), batch):
            chosen = sized[first:first + batch]
            block = np.multiply.outer(mixed[starts[chosen][:, None] + np.arange(size)], a)
            block += b
            signatures[chosen] = block.min(axis=1)
    return signatures


@functools.lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` for a Jaccard ``threshold``: datasketch's ``MinHashLSH`` choice, weighted to recall.

    The weights are ``(1 - FALSE_NEGATIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT)``. Where datasketch would choose a
    single band (a threshold of 1.0) it refuses; one band of all ``num_perm`` rows is then the answer.

    >>> lsh_bands(0.8, 128)
    (14, 9)
    """
    weights = (1.0 - FALSE_NEGATIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT)
    try:
        index = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
    except ValueError:
        return 1, num_perm
    return int(index.b), int(index.r)


def _band_keys(signatures: npt.NDArray[np.uint32], band: int, rows: int) -> U64:
    """One 64-bit key per document for band ``band``: its ``rows`` signature values chained and mixed."""
    keys = np.full(len(signatures), np.uint64(band), dtype=np.uint64)
    for column in range(band * rows, (band + 1) * rows):
        keys = _fmix64(keys * np.uint64(_MIX) + signatures[:, column].astype(np.uint64))
    return keys


def candidate_pairs(keys: U64, ranks: npt.NDArray[np.int64],
                    chunk: int = CANDIDATES_PER_CHUNK) -> Iterator[tuple[I64, I64]]:
    """Pairs of documents with equal key and different rank, the lower rank first, ``chunk`` pairs at most a time.

    A sort-based join: documents are sorted by key then rank, and each document is paired with every
    document of its key that has a lower rank. Pairs within one rank are never formed. Yields
    ``(earlier, later)`` index arrays.

    >>> found = candidate_pairs(np.array([5, 5, 7, 5], dtype=np.uint64), np.array([0, 0, 1, 2]))
    >>> sorted((int(e), int(l)) for earlier, later in found for e, l in zip(earlier, later))
    [(0, 3), (1, 3)]
    """
    bits = max(1, int(ranks.max(initial=0)).bit_length())
    combined = (keys << np.uint64(bits)) | ranks.astype(np.uint64)
    order = np.argsort(combined, kind="stable")
    sorted_keys = combined[order] >> np.uint64(bits)
    same = sorted_keys[1:] == sorted_keys[:-1]
    shared = np.r_[same, False] | np.r_[False, same]
    order, sorted_keys = order[shared], sorted_keys[shared]
    if not len(order):
        return
    sorted_ranks = ranks[order]
    positions = np.arange(len(order), dtype=np.int64)
    key_start = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    rank_start = key_start | np.r_[True, sorted_ranks[1:] != sorted_ranks[:-1]]
    group_first = np.maximum.accumulate(np.where(key_start, positions, 0))
    earlier_count = np.maximum.accumulate(np.where(rank_start, positions, 0)) - group_first
    ends = np.cumsum(earlier_count)
    start = 0
    while start < len(positions):
        stop = max(start + 1, int(np.searchsorted(ends, ends[start] - earlier_count[start] + chunk, side="right")))
        counts = earlier_count[start:stop]
        total = int(counts.sum())
        if total:
            later = np.repeat(positions[start:stop], counts)
            within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
            earlier = np.repeat(group_first[start:stop], counts) + within
            yield order[earlier].astype(np.int64), order[later].astype(np.int64)
        start = stop


def jaccard(hashes: U64, documents: I64, left: I64, right: I64) -> npt.NDArray[np.float64]:
    """Exact Jaccard index of the shingle sets of documents ``left[i]`` and ``right[i]``, for every ``i``.

    ``documents`` is sorted (each document's shingles contiguous). Sets are compared by 64-bit shingle hash.
    Two empty sets have Jaccard 0 here (no shared shingle).
    """
    if not len(left):
        return np.zeros(0, dtype=np.float64)
    pair_ids = np.arange(len(left), dtype=np.int64)
    sizes = []
    parts: list[tuple[I64, U64, npt.NDArray[np.int8]]] = []
    for which, docs in enumerate((left, right)):
        first = np.searchsorted(documents, docs, side="left")
        counts = np.searchsorted(documents, docs, side="right") - first
        pair = np.repeat(pair_ids, counts)
        within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        parts.append((pair, hashes[np.repeat(first, counts) + within],
                      np.full(len(pair), which, dtype=np.int8)))
    pair = np.concatenate([p[0] for p in parts])
    value = np.concatenate([p[1] for p in parts])
    side = np.concatenate([p[2] for p in parts])
    order = np.lexsort((side, value, pair))
    pair, value, side = pair[order], value[order], side[order]
    distinct = np.r_[True, (pair[1:] != pair[:-1]) | (value[1:] != value[:-1]) | (side[1:] != side[:-1])]
    pair, value, side = pair[distinct], value[distinct], side[distinct]
    for which in (0, 1):
        sizes.append(np.bincount(pair[side == which], minlength=len(left)))
    shared = (pair[1:] == pair[:-1]) & (value[1:] == value[:-1])
    intersection = np.bincount(pair[1:][shared], minlength=len(left))
    union = sizes[0] + sizes[1] - intersection
    similarity: npt.NDArray[np.float64] = np.divide(intersection, union, out=np.zeros(len(left), dtype=np.float64),
                                                    where=union > 0)
    return similarity


def near_duplicate_documents(
    hashes: U64, documents: I64, ranks: npt.NDArray[np.int64], *, threshold: float = 0.8, num_perm: int = 128,
    seed: int = 1, documents_per_chunk: int = 200_000,
) -> tuple[I64, I64, npt.NDArray[np.float64]]:
    """Document pairs of different rank whose shingle sets have exact Jaccard at or above ``threshold``.

    ``hashes`` and ``documents`` are the shingles (as :func:`shingle_hashes` returns them, ``documents``
    sorted); ``ranks`` gives each document's split rank. Signatures are computed ``documents_per_chunk``
    documents at a time and only their band keys are kept, so memory grows with documents x bands, not
    documents x permutations (plus the low byte of each signature value, for the estimate that screens
    candidates, see ``ESTIMATE_MARGIN``); candidates are verified ``CANDIDATES_PER_CHUNK`` at a time, each pair in the
    first band it shares only, so memory does not grow with the candidates either (time does). Returns
    ``(earlier, later, jaccard)`` with ``ranks[earlier] < ranks[later]``, sorted.
    """
    count = len(ranks)
    bands, rows = lsh_bands(threshold, num_perm)
    keys = np.zeros((bands, count), dtype=np.uint64)
    low_bits = np.zeros((count, num_perm), dtype=np.uint8)
    has_shingles = np.zeros(count, dtype=bool)
    has_shingles[documents] = True
    for first in range(0, count, documents_per_chunk):
        last = min(count, first + documents_per_chunk)
        lo, hi = (int(i) for i in np.searchsorted(documents, [first, last], side="left"))
        signatures = minhash_signatures(hashes[lo:hi], documents[lo:hi] - first, last - first, num_perm, seed)
        for band in range(bands):
            keys[band, first:last] = _band_keys(signatures, band, rows)
        low_bits[first:last] = signatures & np.uint32(0xFF)
    floor = threshold - ESTIMATE_MARGIN * math.sqrt(threshold * (1.0 - threshold) / max(num_perm - rows, 1))
    indexed = np.flatnonzero(has_shingles)
    found: list[tuple[I64, I64, npt.NDArray[np.float64]]] = []
    for band in range(bands):
        for earlier, later in candidate_pairs(keys[band, indexed], ranks[indexed]):
            left, right = indexed[earlier], indexed[later]
            if band:  # a pair is checked in the first band it shares, never again
                fresh = ~(keys[:band, left] == keys[:band, right]).any(axis=0)
                left, right = left[fresh], right[fresh]
            agree = low_bits[left] == low_bits[right]
            agree[:, band * rows:(band + 1) * rows] = False  # equal by construction: not evidence
            share = agree.sum(axis=1) / (num_perm - rows) if num_perm > rows else np.ones(len(left))
            likely = (share - 1 / 256) / (1 - 1 / 256) >= floor
            left, right = left[likely], right[likely]
            similarity = jaccard(hashes, documents, left, right)
            keep = similarity >= threshold
            found.append((left[keep], right[keep], similarity[keep]))
    left = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    right = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    similarity = np.concatenate([f[2] for f in found]) if found else np.zeros(0, dtype=np.float64)
    order = np.lexsort((right, left))
    return left[order], right[order], similarity[order]
