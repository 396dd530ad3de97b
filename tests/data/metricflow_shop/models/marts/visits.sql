select visit_id, customer_id, visit_date, channel
from {{ ref('raw_visits') }}
