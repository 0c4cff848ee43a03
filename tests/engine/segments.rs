use chrono::{TimeZone, Utc};
use serde_json::json;
use tessera_engine::segments::index::{index_path, Kept};
use tessera_engine::segments::rule::{
    BandScore, Compare, Condition, ConsentStatus, DateOp, FieldOp, FirstOrLast, Group, Match,
    Measure, PropertyFilter, ScoreName, TagOp, Window, RULE_VERSION,
};
use tessera_engine::segments::store::{load_catalog, save_segment};
use tessera_engine::segments::{count, members, Clock, Rule, SegmentIndex};

use crate::support::Rng as Gen;
use crate::support::TestWorkspace;

fn clock() -> Clock {
    Clock {
        now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    }
}

fn rule(value: serde_json::Value) -> Rule {
    Rule::parse(&value.to_string()).unwrap()
}

async fn shop() -> TestWorkspace {
    let t = TestWorkspace::new().await;
    let customers = "email,first_name,city,points,vip,birthday,tags,email_opt_in\n\
        ann@x.com,Ann,London,120,yes,1990-12-01,vip;newsletter,yes\n\
        bo@x.com,Bo,Paris,40,no,1985-06-15,newsletter,no\n\
        li@x.cn,伟,上海,300,yes,1979-11-30,vip,yes\n\
        zoe@x.com,Zoë,london,,no,2000-02-29,,\n";
    t.customers(&t.file("c.csv", customers)).await;
    let events = "email,timestamp,type,value,category\n\
        ann@x.com,2026-11-01,purchase,30,skincare\n\
        ann@x.com,2026-10-15,purchase,20.5,skincare\n\
        ann@x.com,2025-01-01,purchase,100,coffee\n\
        bo@x.com,2026-11-20,purchase,15,skincare\n\
        li@x.cn,2026-09-01,purchase,50,tea\n\
        li@x.cn,2026-11-21,view,,skincare\n";
    t.events(&t.file("e.csv", events)).await;
    t
}

async fn member_emails(t: &TestWorkspace, r: &Rule) -> Vec<String> {
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let ids = members(&t.ws.pool, r, &catalog, clock()).await.unwrap();
    let mut emails = Vec::new();
    for id in ids {
        emails.push(
            sqlx::query_scalar::<_, String>("SELECT email FROM customers WHERE id = ?")
                .bind(id)
                .fetch_one(&t.ws.pool)
                .await
                .unwrap(),
        );
    }
    emails
}

#[tokio::test]
async fn counts_with_a_funnel_per_top_level_condition() {
    let t = shop().await;
    let r = rule(json!({"version": 1, "match": "all", "conditions": [
        {"type": "consent", "channel": "email", "status": "granted"},
        {"type": "event", "event_type": "purchase", "property": {"name": "category", "equals": "SKINCARE"}, "window": {"last_days": 60}, "compare": "gte", "value": 2},
        {"type": "tags", "op": "has_any", "tags": ["vip"]}
    ]}));
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let result = count(&t.ws.pool, &r, &catalog, clock()).await.unwrap();
    assert_eq!((result.count, result.total), (1, 4));
    let remaining: Vec<i64> = result.funnel.iter().map(|s| s.remaining).collect();
    assert_eq!(remaining, vec![2, 1, 1]);
    assert_eq!(
        result.funnel[1].label,
        "number of purchase events with category = SKINCARE in the last 60 days ≥ 2"
    );
    assert_eq!(member_emails(&t, &r).await, vec!["ann@x.com"]);
}

#[tokio::test]
async fn every_condition_kind_selects_the_expected_customers() {
    let t = shop().await;
    let cases = [
        (
            json!({"type": "field", "field": "city", "op": "equals", "value": "LONDON"}),
            vec!["ann@x.com", "zoe@x.com"],
        ),
        (
            json!({"type": "field", "field": "city", "op": "not_equals", "value": "london"}),
            vec!["bo@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "field", "field": "email", "op": "starts_with", "value": "Z"}),
            vec!["zoe@x.com"],
        ),
        (
            json!({"type": "field", "field": "points", "op": "compare", "compare": "gt", "value": 100}),
            vec!["ann@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "field", "field": "attributes.points", "op": "between", "min": 40, "max": 120}),
            vec!["ann@x.com", "bo@x.com"],
        ),
        (
            json!({"type": "field", "field": "points", "op": "not_set"}),
            vec!["zoe@x.com"],
        ),
        (
            json!({"type": "field", "field": "vip", "op": "is_true"}),
            vec!["ann@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "field", "field": "birthday", "op": "date", "date": "anniversary_within_days", "days": 10}),
            vec!["ann@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "field", "field": "birthday", "op": "date", "date": "before", "value": "1986-01-01"}),
            vec!["bo@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "tags", "op": "has_all", "tags": ["vip", "newsletter"]}),
            vec!["ann@x.com"],
        ),
        (
            json!({"type": "tags", "op": "has_none", "tags": ["vip"]}),
            vec!["bo@x.com", "zoe@x.com"],
        ),
        (
            json!({"type": "consent", "channel": "email", "status": "unknown"}),
            vec!["zoe@x.com"],
        ),
        (
            json!({"type": "event", "event_type": "purchase", "measure": "sum", "window": {"between": {"from": "2026-01-01", "to": "2026-12-31"}}, "compare": "gte", "value": 50}),
            vec!["ann@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "event", "event_type": "purchase", "measure": "average", "compare": "gt", "value": 45}),
            vec!["ann@x.com", "li@x.cn"],
        ),
        (
            json!({"type": "event", "event_type": "purchase", "compare": "eq", "value": 0}),
            vec!["zoe@x.com"],
        ),
        (
            json!({"type": "occurrence", "event_type": "purchase", "which": "last", "date": "within_last_days", "days": 7}),
            vec!["bo@x.com"],
        ),
        (
            json!({"type": "occurrence", "event_type": "purchase", "which": "first", "date": "before", "value": "2026-01-01"}),
            vec!["ann@x.com"],
        ),
        (
            json!({"type": "group", "match": "any", "not": true, "conditions": [{"type": "tags", "op": "has_any", "tags": ["vip"]}, {"type": "field", "field": "city", "op": "equals", "value": "Paris"}]}),
            vec!["zoe@x.com"],
        ),
    ];
    for (condition, expected) in cases {
        let r = rule(json!({"version": 1, "conditions": [condition.clone()]}));
        assert_eq!(member_emails(&t, &r).await, expected, "{condition}");
    }
}

#[tokio::test]
async fn hostile_rules_are_bound_values_or_clear_errors() {
    let t = TestWorkspace::new().await;
    // An attribute whose name is an SQL fragment, values with quotes.
    let csv = "email,\"x'); DROP TABLE customers;--\",nick\na@x.com,\"O'Brien\"\" --\",Robert'); DROP TABLE events;--\nb@x.com,plain,bob\n";
    t.customers(&t.file("h.csv", csv)).await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let attr = catalog
        .attributes
        .keys()
        .find(|k| k.contains("drop"))
        .unwrap()
        .clone();
    let r = rule(json!({"version": 1, "conditions": [
        {"type": "field", "field": attr, "op": "equals", "value": "O'Brien\" --"},
        {"type": "field", "field": "nick", "op": "contains", "value": "'); DROP TABLE events;--"}
    ]}));
    assert_eq!(member_emails(&t, &r).await, vec!["a@x.com"]);
    assert_eq!(t.count("customers").await, 2, "nothing was dropped");

    let unknown = rule(
        json!({"version": 1, "conditions": [{"type": "group", "conditions": [{"type": "field", "field": "nope\"; --", "op": "is_set"}]}]}),
    );
    let err = count(&t.ws.pool, &unknown, &catalog, clock())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "condition 1.1: no field or attribute named 'nope\"; --'"
    );
    let wrong = rule(
        json!({"version": 1, "conditions": [{"type": "field", "field": "nick", "op": "compare", "compare": "gt", "value": 1}]}),
    );
    assert!(count(&t.ws.pool, &wrong, &catalog, clock())
        .await
        .unwrap_err()
        .to_string()
        .contains("condition 1: 'nick' is text"));

    // Empty groups constrain nothing; deep nesting is refused past the limit.
    let empty = rule(
        json!({"version": 1, "conditions": [{"type": "group", "match": "any", "conditions": []}, {"type": "group", "conditions": []}]}),
    );
    assert_eq!(
        count(&t.ws.pool, &empty, &catalog, clock())
            .await
            .unwrap()
            .count,
        2
    );
    let mut nested = json!({"type": "field", "field": "email", "op": "is_set"});
    for _ in 0..30 {
        nested = json!({"type": "group", "conditions": [nested]});
    }
    assert_eq!(
        count(
            &t.ws.pool,
            &rule(json!({"version": 1, "conditions": [nested.clone()]})),
            &catalog,
            clock()
        )
        .await
        .unwrap()
        .count,
        2
    );
    for _ in 0..5 {
        nested = json!({"type": "group", "conditions": [nested]});
    }
    let too_deep = Rule::parse(&json!({"version": 1, "conditions": [nested]}).to_string())
        .unwrap_err()
        .to_string();
    assert!(too_deep.contains("nest deeper than 32"), "{too_deep}");
    assert!(Rule::parse(r#"{"version": 2, "conditions": []}"#)
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    assert!(
        Rule::parse(r#"{"version": 1, "conditions": [{"type": "sql", "where": "1=1"}]}"#).is_err(),
        "no raw SQL condition"
    );
}

#[tokio::test]
async fn segments_refer_to_segments_but_not_in_a_cycle() {
    let t = shop().await;
    let vip = Rule {
        version: RULE_VERSION,
        root: Group {
            matching: Match::All,
            not: false,
            conditions: vec![Condition::Tags {
                op: TagOp::HasAny,
                tags: vec!["vip".into()],
            }],
        },
    };
    save_segment(&t.ws.pool, "vip", &vip, clock())
        .await
        .unwrap();
    let vip_londoners = rule(
        json!({"version": 1, "conditions": [{"type": "segment", "name": "vip"}, {"type": "field", "field": "city", "op": "equals", "value": "London"}]}),
    );
    save_segment(&t.ws.pool, "vip-london", &vip_londoners, clock())
        .await
        .unwrap();
    assert_eq!(
        member_emails(
            &t,
            &rule(json!({"version": 1, "conditions": [{"type": "segment", "name": "vip-london"}]}))
        )
        .await,
        vec!["ann@x.com"]
    );
    // Redefining "vip" in terms of "vip-london" would close a loop.
    let cyclic =
        rule(json!({"version": 1, "conditions": [{"type": "segment", "name": "vip-london"}]}));
    let err = save_segment(&t.ws.pool, "vip", &cyclic, clock())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("refers back to itself"), "{err}");
}

/// Random rules for the property test.
impl Gen {
    fn condition(&mut self, depth: u32) -> Condition {
        let cities = ["London", "paris", "上海", "Zürich", ""];
        match self.below(if depth >= 3 { 9 } else { 11 }) {
            0 => Condition::Field {
                field: self.pick(&["city", "city", "email"]).into(),
                op: match self.below(6) {
                    0 => FieldOp::Equals {
                        value: self.pick(&cities).into(),
                    },
                    1 => FieldOp::NotEquals {
                        value: self.pick(&cities).into(),
                    },
                    2 => FieldOp::Contains {
                        value: self.pick(&["o", "L", "海", ""]).into(),
                    },
                    3 => FieldOp::StartsWith {
                        value: self.pick(&["lo", "P", "上"]).into(),
                    },
                    4 => FieldOp::In {
                        values: vec![self.pick(&cities).into(), self.pick(&cities).into()],
                    },
                    _ => {
                        if self.below(2) == 0 {
                            FieldOp::IsSet
                        } else {
                            FieldOp::NotSet
                        }
                    }
                },
            },
            1 => Condition::Field {
                field: "points".into(),
                op: if self.below(2) == 0 {
                    FieldOp::Compare {
                        compare: self.compare(),
                        value: (self.below(12) * 50) as f64,
                    }
                } else {
                    FieldOp::Between {
                        min: (self.below(6) * 50) as f64,
                        max: (self.below(12) * 50) as f64,
                    }
                },
            },
            2 => Condition::Field {
                field: "vip".into(),
                op: match self.below(3) {
                    0 => FieldOp::IsTrue,
                    1 => FieldOp::IsFalse,
                    _ => FieldOp::NotSet,
                },
            },
            3 => Condition::Field {
                field: "birthday".into(),
                op: FieldOp::Date(self.date_op(true)),
            },
            4 => Condition::Tags {
                op: [TagOp::HasAny, TagOp::HasAll, TagOp::HasNone][self.below(3) as usize],
                tags: (0..self.below(3))
                    .map(|_| self.pick(&["vip", "new", "b2b"]).into())
                    .collect(),
            },
            5 => Condition::Consent {
                channel: self.pick(&["email", "sms"]).into(),
                status: [
                    ConsentStatus::Granted,
                    ConsentStatus::Revoked,
                    ConsentStatus::Unknown,
                ][self.below(3) as usize],
            },
            6 | 7 => Condition::Event {
                event_type: self.pick(&["purchase", "view"]).into(),
                measure: [Measure::Count, Measure::Sum, Measure::Average][self.below(3) as usize],
                property: (self.below(2) == 0).then(|| PropertyFilter {
                    name: "category".into(),
                    equals: self.pick(&["skincare", "TEA", "coffee"]).into(),
                }),
                window: match self.below(3) {
                    0 => Window::Ever,
                    1 => Window::LastDays(self.below(400) as u32),
                    _ => Window::Between {
                        from: "2026-01-01".into(),
                        to: self.pick(&["2026-06-30", "2026-11-22"]).into(),
                    },
                },
                compare: self.compare(),
                value: (self.below(8) as f64) * 12.5,
            },
            9 if depth > 0 => match self.below(4) {
                3 => Condition::Segment {
                    name: "regulars".into(),
                },
                0 => Condition::Score {
                    score: [
                        ScoreName::R,
                        ScoreName::F,
                        ScoreName::M,
                        ScoreName::RecencyDays,
                        ScoreName::Frequency,
                        ScoreName::Monetary,
                    ][self.below(6) as usize],
                    compare: self.compare(),
                    value: self.below(6) as f64,
                },
                1 => Condition::RfmGroup {
                    groups: (0..1 + self.below(2))
                        .map(|_| {
                            self.pick(&["Champions", "lost", "At risk", "New", "Hibernating"])
                                .into()
                        })
                        .collect(),
                },
                _ => Condition::Band {
                    score: BandScore::Value,
                    bands: vec![self.pick(&["low", "HIGH", "medium"]).into()],
                },
            },
            8 => Condition::Occurrence {
                event_type: self.pick(&["purchase", "view"]).into(),
                which: if self.below(2) == 0 {
                    FirstOrLast::First
                } else {
                    FirstOrLast::Last
                },
                op: self.date_op(false),
            },
            _ => Condition::Group(Group {
                matching: if self.below(2) == 0 {
                    Match::All
                } else {
                    Match::Any
                },
                not: self.below(3) == 0,
                conditions: (0..self.below(4))
                    .map(|_| self.condition(depth + 1))
                    .collect(),
            }),
        }
    }

    fn compare(&mut self) -> Compare {
        [
            Compare::Eq,
            Compare::Ne,
            Compare::Gt,
            Compare::Gte,
            Compare::Lt,
            Compare::Lte,
        ][self.below(6) as usize]
    }

    fn date_op(&mut self, anniversaries: bool) -> DateOp {
        match self.below(if anniversaries { 5 } else { 4 }) {
            0 => DateOp::Before {
                value: self.pick(&["1990-01-01", "2026-06-01"]).into(),
            },
            1 => DateOp::After {
                value: self.pick(&["1990-01-01", "2026-06-01"]).into(),
            },
            2 => DateOp::WithinLastDays {
                days: self.below(400) as u32,
            },
            3 => DateOp::WithinNextDays {
                days: self.below(60) as u32,
            },
            _ => DateOp::AnniversaryWithinDays {
                days: self.below(120) as u32,
            },
        }
    }
}

#[tokio::test]
async fn property_compiled_sql_and_the_segment_index_select_the_same_customers() {
    let t = TestWorkspace::new().await;
    let mut g = Gen(0x00C0_FFEE_1234);
    let mut customers =
        String::from("email,city,points,vip,birthday,tags,email_opt_in,sms_opt_in\n");
    let mut events = String::from("email,timestamp,type,value,category\n");
    for i in 0..160 {
        let maybe = |g: &mut Gen, v: String| if g.below(5) == 0 { String::new() } else { v };
        let city = g
            .pick(&["London", "LONDON", "Paris", "上海", "Zürich", "Lo"])
            .to_string();
        let points = (g.below(12) * 50).to_string();
        let vip = g.pick(&["yes", "no"]).to_string();
        let birthday = format!(
            "{}-{}",
            1960 + 4 * g.below(12),
            g.pick(&["01-05", "02-29", "11-25", "12-31", "12-01", "06-15", "03-01"])
        );
        let tags = (0..g.below(3))
            .map(|_| g.pick(&["vip", "new", "b2b"]))
            .collect::<Vec<_>>()
            .join(";");
        let (e, s) = (g.pick(&["yes", "no", ""]), g.pick(&["yes", "no", ""]));
        customers.push_str(&format!(
            "c{i}@x.com,{},{},{},{},{tags},{e},{s}\n",
            maybe(&mut g, city),
            maybe(&mut g, points),
            maybe(&mut g, vip),
            maybe(&mut g, birthday)
        ));
        for _ in 0..g.below(6) {
            let when = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
                - chrono::Duration::hours(g.below(24 * 500) as i64);
            let value = if g.below(4) == 0 {
                String::new()
            } else {
                format!("{}", g.below(40) as f64 * 2.5)
            };
            events.push_str(&format!(
                "c{i}@x.com,{},{},{value},{}\n",
                when.to_rfc3339(),
                g.pick(&["purchase", "purchase", "view"]),
                g.pick(&["skincare", "tea", "Coffee"])
            ));
        }
    }
    let imported = t.customers(&t.file("c.csv", customers)).await;
    assert_eq!(
        (imported.inserted, imported.rejected),
        (160, 0),
        "{:?}",
        imported.errors
    );
    t.events(&t.file("e.csv", events)).await;
    let regulars = rule(json!({"version": 1, "match": "any", "conditions": [
        {"type": "event", "event_type": "purchase", "compare": "gte", "value": 3},
        {"type": "tags", "op": "has_any", "tags": ["vip"]}]}));
    save_segment(&t.ws.pool, "regulars", &regulars, clock())
        .await
        .unwrap();
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    // The index a fresh process uses: built, kept, and mapped back from its file.
    SegmentIndex::current(&t.ws.path, || {}).unwrap();
    let kept = SegmentIndex::current(&t.ws.path, || panic!("the kept index is current")).unwrap();
    assert_eq!(kept.kept, Kept::Loaded);
    let index = kept.index;
    let mut non_trivial = 0;
    for _ in 0..300 {
        let root = Group {
            matching: if g.below(2) == 0 {
                Match::All
            } else {
                Match::Any
            },
            not: g.below(5) == 0,
            conditions: (0..1 + g.below(3)).map(|_| g.condition(0)).collect(),
        };
        let r = Rule {
            version: RULE_VERSION,
            root,
        };
        let sql = members(&t.ws.pool, &r, &catalog, clock()).await.unwrap();
        let indexed = index.members(&r, &catalog, clock()).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(sql, indexed, "rule {json}");
        assert_eq!(
            count(&t.ws.pool, &r, &catalog, clock()).await.unwrap(),
            index.count(&r, &catalog, clock()).unwrap(),
            "rule {json}"
        );
        if !sql.is_empty() && sql.len() < 160 {
            non_trivial += 1;
        }
    }
    assert!(
        non_trivial > 100,
        "only {non_trivial} rules split the customers"
    );
}

#[tokio::test]
async fn event_conditions_look_up_each_customers_events_by_index() {
    // Without statistics SQLite chose the by-type index and scanned every purchase per customer.
    let t = shop().await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let r = rule(json!({"version": 1, "conditions": [
        {"type": "event", "event_type": "purchase", "window": {"last_days": 30}, "compare": "gte", "value": 1},
        {"type": "occurrence", "event_type": "purchase", "which": "last", "date": "within_last_days", "days": 7}]}));
    let program = tessera_engine::segments::compile::rule_program(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM customers c WHERE ",
        &r,
        &catalog,
        clock(),
    )
    .unwrap();
    let plan: Vec<String> = program
        .body
        .query()
        .fetch_all(&t.ws.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| sqlx::Row::get::<String, _>(row, 3))
        .collect();
    let event_lookups: Vec<&String> = plan.iter().filter(|d| d.contains(" e ")).collect();
    assert_eq!(event_lookups.len(), 2, "{plan:?}");
    assert!(
        event_lookups
            .iter()
            .all(|d| d.contains("USING INDEX events_by_customer (customer_id=?")),
        "{plan:?}"
    );
}

/// Damages a rule document the ways people and tools do: a key misspelled or dropped, a value
/// of the wrong kind, extreme numbers, a subtree replaced by something else.
fn mutate(g: &mut Gen, value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = keys[g.below(keys.len() as u64) as usize].clone();
            match g.below(5) {
                0 => {
                    let v = map.remove(&key).unwrap();
                    map.insert(format!("{key}x"), v);
                }
                1 => {
                    map.remove(&key);
                }
                _ => mutate(g, map.get_mut(&key).unwrap()),
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let at = g.below(items.len() as u64) as usize;
            mutate(g, &mut items[at]);
        }
        other => {
            *other = match g.below(8) {
                0 => json!(u32::MAX),
                1 => json!(-1),
                2 => json!(1e308),
                3 => json!("\u{0}'; DROP TABLE customers;--"),
                4 => json!(null),
                5 => json!([1, {"type": "group"}]),
                6 => json!({"last_days": 4_000_000_000u64}),
                _ => json!(true),
            }
        }
    }
}

#[tokio::test]
async fn property_damaged_rule_documents_are_clear_errors_or_count_the_same_both_ways() {
    let t = shop().await;
    save_segment(
        &t.ws.pool,
        "regulars",
        &rule(json!({"version": 1, "conditions": [{"type": "tags", "op": "has_any", "tags": ["vip"]}]})),
        clock(),
    )
    .await
    .unwrap();
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let index = SegmentIndex::load(&t.ws.path).unwrap();
    let mut g = Gen(0xDA3A_6ED0_0005);
    let (mut refused, mut counted) = (0, 0);
    for _ in 0..600 {
        let r = Rule {
            version: RULE_VERSION,
            root: Group {
                matching: Match::All,
                not: false,
                conditions: (0..1 + g.below(3)).map(|_| g.condition(0)).collect(),
            },
        };
        let mut document = serde_json::to_value(&r).unwrap();
        // Half the documents are damaged once; the others check the undamaged path.
        if g.below(2) == 0 {
            mutate(&mut g, &mut document);
        }
        let text = document.to_string();
        match Rule::parse(&text) {
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
            Ok(parsed) => {
                let sql = count(&t.ws.pool, &parsed, &catalog, clock()).await;
                let indexed = index.count(&parsed, &catalog, clock());
                match (sql, indexed) {
                    (Ok(a), Ok(b)) => {
                        counted += 1;
                        assert_eq!(a, b, "{text}");
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                    (a, b) => panic!("{text}: SQL {a:?}, index {b:?}"),
                }
            }
        }
    }
    assert!(
        refused > 100 && counted > 200,
        "{refused} refused, {counted} counted"
    );
    assert_eq!(t.count("customers").await, 4, "nothing was dropped");
}

#[tokio::test]
async fn a_kept_index_is_used_until_customers_events_or_scores_change() {
    let t = shop().await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let vip = rule(
        json!({"version": 1, "conditions": [{"type": "tags", "op": "has_any", "tags": ["vip"]}]}),
    );
    let current = || SegmentIndex::current(&t.ws.path, || {}).unwrap();
    let first = current();
    assert_eq!(first.kept, Kept::Built);
    assert!(index_path(&t.ws.path).is_file());
    let again = current();
    assert_eq!(again.kept, Kept::Loaded);
    assert_eq!(again.index.count(&vip, &catalog, clock()).unwrap().count, 2);

    t.customers(&t.file("more.csv", "email,tags\nnew@x.com,vip\n"))
        .await;
    let after_customers = current();
    assert_eq!(
        after_customers.kept,
        Kept::Built,
        "a customer import changes the index"
    );
    assert_eq!(
        after_customers
            .index
            .count(&vip, &catalog, clock())
            .unwrap()
            .count,
        3
    );
    assert_eq!(current().kept, Kept::Loaded);

    // A purchase changes scores and events, with no new customer.
    t.events(&t.file(
        "more-e.csv",
        "email,timestamp,type,value\nbo@x.com,2026-11-21,purchase,9\n",
    ))
    .await;
    let after_events = current();
    assert_eq!(after_events.kept, Kept::Built);
    let bought = rule(
        json!({"version": 1, "conditions": [{"type": "event", "event_type": "purchase",
        "window": {"last_days": 3}, "compare": "gte", "value": 2}]}),
    );
    assert_eq!(
        after_events
            .index
            .count(&bought, &catalog, clock())
            .unwrap(),
        count(&t.ws.pool, &bought, &catalog, clock()).await.unwrap()
    );
    tessera_engine::scores::fit_models(&t.ws.pool, None)
        .await
        .unwrap();
    assert_eq!(
        current().kept,
        Kept::Built,
        "refitted scores change the index"
    );
}

#[tokio::test]
async fn a_damaged_or_foreign_kept_index_is_rebuilt_never_trusted() {
    let t = shop().await;
    let other = shop().await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let path = index_path(&t.ws.path);
    let rules = [
        json!({"version": 1, "conditions": [{"type": "field", "field": "city", "op": "equals", "value": "London"}]}),
        json!({"version": 1, "conditions": [{"type": "event", "event_type": "purchase", "property": {"name": "category", "equals": "skincare"}, "compare": "gte", "value": 1}]}),
        json!({"version": 1, "conditions": [{"type": "consent", "channel": "email", "status": "granted"}, {"type": "score", "score": "frequency", "compare": "gte", "value": 1}]}),
    ]
    .map(rule);
    let expected: Vec<_> = {
        let mut v = Vec::new();
        for r in &rules {
            v.push(count(&t.ws.pool, r, &catalog, clock()).await.unwrap());
        }
        v
    };
    SegmentIndex::current(&t.ws.path, || {}).unwrap();
    let whole = std::fs::read(&path).unwrap();
    SegmentIndex::current(&other.ws.path, || {}).unwrap();
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", whole[..whole.len() / 2].to_vec()),
        ("one byte short", whole[..whole.len() - 1].to_vec()),
        ("not an index", b"SQLite format 3\0".repeat(100)),
        ("directory damaged", {
            let mut d = whole.clone();
            let at = d.len() - 40;
            d[at] ^= 0x55;
            d
        }),
        (
            "another workspace's",
            std::fs::read(index_path(&other.ws.path)).unwrap(),
        ),
    ];
    for (what, bytes) in damages {
        std::fs::write(&path, &bytes).unwrap();
        let mut built = false;
        let current = SegmentIndex::current(&t.ws.path, || built = true).unwrap();
        assert!(built, "{what}: rebuilt");
        for (r, want) in rules.iter().zip(&expected) {
            assert_eq!(
                &current.index.count(r, &catalog, clock()).unwrap(),
                want,
                "{what}"
            );
        }
        let next = SegmentIndex::current(&t.ws.path, || panic!("{what}: kept again")).unwrap();
        assert_eq!(next.kept, Kept::Loaded);
    }
}

#[tokio::test]
async fn property_damaged_arrays_in_a_kept_index_never_crash_a_count() {
    // The arrays are not checksummed (that would read the whole file on every command); lengths
    // and offsets are checked, so damage inside an array can change a count but not crash it.
    let t = shop().await;
    let catalog = load_catalog(&t.ws.pool, &[]).await.unwrap();
    let path = index_path(&t.ws.path);
    SegmentIndex::current(&t.ws.path, || {}).unwrap();
    let whole = std::fs::read(&path).unwrap();
    let directory_at = u64::from_le_bytes(
        whole[whole.len() - 24..whole.len() - 16]
            .try_into()
            .unwrap(),
    ) as usize;
    let rules = [
        json!({"version": 1, "conditions": [{"type": "field", "field": "city", "op": "in", "values": ["London", "上海"]}]}),
        json!({"version": 1, "match": "any", "conditions": [{"type": "tags", "op": "has_all", "tags": ["vip", "newsletter"]}, {"type": "rfm_group", "groups": ["champions"]}]}),
        json!({"version": 1, "conditions": [{"type": "event", "event_type": "purchase", "measure": "sum", "property": {"name": "category", "equals": "skincare"}, "window": {"last_days": 400}, "compare": "gte", "value": 10}]}),
        json!({"version": 1, "conditions": [{"type": "occurrence", "event_type": "purchase", "which": "last", "date": "within_last_days", "days": 30}, {"type": "field", "field": "birthday", "op": "date", "date": "anniversary_within_days", "days": 30}]}),
    ]
    .map(rule);
    let mut g = Gen(0x1DE7_0000_0001);
    for _ in 0..200 {
        let mut damaged = whole.clone();
        for _ in 0..1 + g.below(4) {
            let at = 8 + g.below((directory_at - 8) as u64) as usize;
            damaged[at] = g.below(256) as u8;
        }
        std::fs::write(&path, &damaged).unwrap();
        if let Ok(current) = SegmentIndex::current(&t.ws.path, || {}) {
            for r in &rules {
                let counted = current.index.count(r, &catalog, clock()).unwrap();
                assert!(counted.count <= counted.total);
            }
        }
    }
}
