-- A waiting transaction can be withdrawn by the bank (state 'withdrawn');
-- when, for the bank's records. The app then no longer lists it, renewal no
-- longer waits for it, and an answer to it is refused (S5B1).
ALTER TABLE transactions ADD COLUMN withdrawn_at BIGINT;
