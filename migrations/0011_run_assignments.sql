-- Each run's assignment of its audience, per customer: the arm (a variant's name or 'holdout'),
-- or why they were excluded ('holdout', 'opted_out', 'no_address'). Written with the run's start
-- (again when a killed run is continued), so results attribute outcomes to the arm a customer
-- was assigned, whatever they received, without reading the render folder.
CREATE TABLE run_assignments (
    run_id      INTEGER NOT NULL REFERENCES campaign_runs(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    arm         TEXT,
    excluded    TEXT,
    PRIMARY KEY (run_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX run_assignments_by_customer ON run_assignments(customer_id);
