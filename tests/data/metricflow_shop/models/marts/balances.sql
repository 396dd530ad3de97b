select customer_id, balance_date, balance
from {{ ref('raw_balances') }}
