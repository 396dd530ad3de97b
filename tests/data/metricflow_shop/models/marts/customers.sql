select customer_id, first_name, region, signup_date
from {{ ref('raw_customers') }}
