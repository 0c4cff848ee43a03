use tessera_engine::customers::show::{customer_view, find_customer};
use tessera_engine::customers::{import_customers, Encoding, ImportOptions};

use crate::support::{lines, TestWorkspace};

#[tokio::test]
async fn bad_rows_are_rejected_with_line_and_reason_and_good_rows_land() {
    let t = TestWorkspace::new().await;
    let csv = "email,first_name,orders,signup\n\
               ana@example.com,Ana,3,2024-01-05\n\
               not-an-email,Bob,2,2024-01-06\n\
               cy@example.com,Cy,4,2024-01-07\n\
               dee@example.com,Dee,many,2024-01-08\n\
               eve@example.com,Eve,1\n\
               fay@example.com,\"Fay,2,2024-01-09\n\
               gus@example.com,Gus,5,2024-02-30x\n\
               hal@example.com,Hal,6,2024-01-10\n\
               ian@example.com,Ian,7,2024-01-11\n\
               jo@example.com,Jo,8,2024-01-12\n\
               kai@example.com,Kai,9,2024-01-13\n\
               lu@example.com,Lu,10,2024-01-14\n\
               mo@example.com,Mo,11,2024-01-15\n\
               ned@example.com,Ned,12,2024-01-16\n\
               ola@example.com,Ola,13,2024-01-17\n\
               pia@example.com,Pia,14,2024-01-18\n\
               quin@example.com,Quin,15,2024-01-19\n\
               ray@example.com,Ray,16,2024-01-20\n\
               sue@example.com,Sue,17,2024-01-21\n\
               tom@example.com,Tom,18,2024-01-22\n";
    let path = t.file("people.csv", csv);
    let s = t.customers(&path).await;
    assert_eq!(lines(&s), vec![3, 5, 6, 7, 8], "{:?}", s.errors);
    let reasons: Vec<&str> = s.errors.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons[0].contains("invalid email 'not-an-email'"));
    assert!(reasons[1].contains("bad number 'many'") && reasons[1].contains("orders"));
    assert!(reasons[2].contains("wrong number of columns"));
    assert!(reasons[3].contains("broken quoting"));
    assert!(reasons[4].contains("bad date"));
    assert_eq!((s.inserted, s.rejected), (15, 5));
    assert_eq!(t.count("customers").await, 15);
    let rejected = std::fs::read_to_string(s.rejected_file.unwrap()).unwrap();
    // A BOM so that Excel reads UTF-8; the source's header after line and reason; rows as given.
    assert!(
        rejected.starts_with("\u{feff}line,reason,email,first_name,orders,signup\n3,invalid email"),
        "{rejected}"
    );
    assert!(rejected.contains(",not-an-email,Bob,2,2024-01-06\n"));
}

#[tokio::test]
async fn rejected_rows_keep_the_source_encoding_and_delimiter() {
    let t = TestWorkspace::new().await;
    let text = "姓名;邮箱;备注\r\n张伟;zhang.wei@example.cn;好\r\n李娜;不是邮箱;\"含;分号\"\r\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = t.file("客户.csv", &bytes);
    let s = t.customers(&path).await;
    assert_eq!((s.inserted, s.rejected), (1, 1), "{:?}", s.errors);
    let written = std::fs::read(s.rejected_file.unwrap()).unwrap();
    let (decoded, _, bad) = encoding_rs::GB18030.decode(&written);
    assert!(
        !bad && std::str::from_utf8(&written).is_err(),
        "GB18030 stays GB18030"
    );
    let mut lines = decoded.lines();
    assert_eq!(lines.next(), Some("line;reason;姓名;邮箱;备注"));
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("3;invalid email '不是邮箱';李娜;不是邮箱;\"含;分号\""),
        "{row}"
    );
    // The file is itself importable: its rows read back with their columns.
    let again = tessera_engine::customers::preview_file(
        &path.with_file_name("客户.csv.rejected.csv"),
        &ImportOptions::default(),
        tessera_engine::customers::Target::Customers,
    )
    .unwrap();
    assert_eq!(again.delimiter.as_deref(), Some(";"));
    assert_eq!(again.rows[0][4], "含;分号");
}

#[tokio::test]
async fn reimporting_the_same_files_changes_nothing() {
    let t = TestWorkspace::new().await;
    let people = t.file("p.csv", "id;email;phone;name;tags\n1;a@x.com;+1 555 0100 200;Ann Lee;vip,new\n2;b@x.com;;Bo Chen;\n");
    let events = t.file("e.csv", "email,date,event,amount,category\na@x.com,2024-03-01 10:00,purchase,19.90,skincare\nb@x.com,2024/03/02,purchase,5,tea\n");
    let first = t.customers(&people).await;
    assert_eq!((first.inserted, first.updated, first.merged), (2, 0, 0));
    assert_eq!(t.events(&events).await.inserted, 2);
    let again = t.customers(&people).await;
    assert_eq!(
        (again.inserted, again.updated, again.merged, again.unchanged),
        (0, 0, 0, 2)
    );
    let again_events = t.events(&events).await;
    assert_eq!((again_events.inserted, again_events.unchanged), (0, 2));
    assert_eq!(
        (t.count("customers").await, t.count("events").await),
        (2, 2)
    );
}

#[tokio::test]
async fn gb18030_excel_export_with_chinese_headers_and_consent() {
    let t = TestWorkspace::new().await;
    let text = "姓名,邮箱,手机,退订,会员等级,标签\r\n张伟,zhang.wei@example.cn,138 0013 8000,是,金卡,VIP；老客户\r\n欧阳娜娜,nana@example.cn,,否,银卡,\r\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = t.file("客户.csv", &bytes);
    let s = t.customers(&path).await;
    assert_eq!(
        (s.encoding, s.inserted, s.rejected),
        ("gb18030", 2, 0),
        "{:?}",
        s.errors
    );
    let id = find_customer(&t.ws.pool, "zhang.wei@example.cn")
        .await
        .unwrap()
        .unwrap();
    let view = customer_view(&t.ws.pool, id).await.unwrap().unwrap();
    assert_eq!(
        (
            view.profile.last_name.as_deref(),
            view.profile.first_name.as_deref()
        ),
        (Some("张"), Some("伟"))
    );
    assert_eq!(
        view.profile.consent.get("email"),
        Some(&false),
        "退订=是 withdraws email consent"
    );
    assert_eq!(view.profile.attributes["会员等级"], "金卡");
    assert!(view.profile.tags.contains("VIP") && view.profile.tags.contains("老客户"));
    let nana = find_customer(&t.ws.pool, "nana@example.cn")
        .await
        .unwrap()
        .unwrap();
    let nana = customer_view(&t.ws.pool, nana).await.unwrap().unwrap();
    assert_eq!(
        (
            nana.profile.last_name.as_deref(),
            nana.profile.first_name.as_deref()
        ),
        (Some("欧阳"), Some("娜娜"))
    );

    // Forcing the wrong encoding is an error, not mojibake in the database.
    let forced = ImportOptions {
        encoding: Some(Encoding::Utf8),
        ..Default::default()
    };
    assert!(import_customers(&t.ws, &path, &forced, &|_| {})
        .await
        .is_err());
}

#[tokio::test]
async fn records_sharing_a_key_merge_into_one_profile_with_their_events() {
    let t = TestWorkspace::new().await;
    let first = t.file(
        "crm.csv",
        "email,phone,first name\nann@x.com,+44 20 7946 0001,Ann\nbo@x.com,+44 20 7946 0002,Bo\n",
    );
    t.customers(&first).await;
    let ann = find_customer(&t.ws.pool, "ann@x.com")
        .await
        .unwrap()
        .unwrap();
    let bo = find_customer(&t.ws.pool, "bo@x.com")
        .await
        .unwrap()
        .unwrap();
    t.events(&t.file(
        "ev.csv",
        "email,timestamp,type,value\nbo@x.com,2024-05-01T12:00:00Z,purchase,30\n",
    ))
    .await;
    // The shop's export has Ann's email and Bo's phone: a shared phone does not make two
    // people with different emails one. Ann is updated; Bo stays Bo, his phone his; the pair
    // is kept as a possible duplicate for the user, and the preview said so first.
    let pos = t.file(
        "pos.ndjson",
        "{\"email\":\"ANN@x.com\",\"mobile\":\"+442079460002\",\"loyalty\":\"gold\"}\n",
    );
    let preview = tessera_engine::customers::preview_import(
        &t.ws,
        &pos,
        &ImportOptions::default(),
        tessera_engine::customers::Target::Customers,
    )
    .await
    .unwrap();
    let forecast = preview.forecast.unwrap();
    assert_eq!(
        (forecast.merged_total, forecast.possible_duplicates),
        (1, 1)
    );
    assert_eq!(forecast.merges[0].customer, Some(ann));
    assert_eq!(forecast.merges[0].key, "email:ann@x.com");
    let s = t.customers(&pos).await;
    assert_eq!((s.updated, s.merged, s.possible_duplicates), (1, 0, 1));
    assert_eq!(t.count("customers").await, 2);
    let bo_view = customer_view(&t.ws.pool, bo).await.unwrap().unwrap();
    assert!(
        bo_view.keys.contains(&"phone:+442079460002".to_string()),
        "{:?}",
        bo_view.keys
    );
    assert_eq!(bo_view.events.len(), 1, "Bo's purchase stays Bo's");
    let pair: (i64, i64, String) =
        sqlx::query_as("SELECT customer_id, other_id, matched_on FROM possible_duplicates")
            .fetch_one(&t.ws.pool)
            .await
            .unwrap();
    assert_eq!(
        pair,
        (ann.min(bo), ann.max(bo), "phone:+442079460002".into())
    );

    // A row with only Bo's phone is Bo.
    let till = t.file("till.csv", "email,phone,city\n,+44 20 7946 0002,Leeds\n");
    let s = t.customers(&till).await;
    assert_eq!((s.updated, s.merged), (1, 0));
    let bo_view = customer_view(&t.ws.pool, bo).await.unwrap().unwrap();
    assert_eq!(bo_view.profile.attributes["city"], "Leeds");
    let view = customer_view(&t.ws.pool, ann).await.unwrap().unwrap();
    assert_eq!(view.profile.attributes["loyalty"], "gold");
    assert_eq!(
        find_customer(&t.ws.pool, &bo.to_string()).await.unwrap(),
        Some(bo),
        "each finds themself"
    );
}

#[tokio::test]
async fn duplicates_within_one_file_become_one_customer() {
    let t = TestWorkspace::new().await;
    let path = t.file(
        "dups.csv",
        "email,phone,city\nli@x.cn,,Shanghai\nLI@X.CN,13800138000,\n,+86 138 0013 8000,Beijing\n",
    );
    let s = t.customers(&path).await;
    assert_eq!((s.inserted, s.merged), (1, 2));
    let id = find_customer(&t.ws.pool, "13800138000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        customer_view(&t.ws.pool, id)
            .await
            .unwrap()
            .unwrap()
            .profile
            .attributes["city"],
        "Beijing"
    );
}

#[tokio::test]
async fn json_array_rows_are_reported_by_line() {
    let t = TestWorkspace::new().await;
    let path = t.file(
        "c.json",
        "[\n  {\"email\": \"a@x.com\", \"vip\": true, \"recommendations\": [{\"name\": \"Tea\"}]},\n  {\"email\": \"broken\"},\n  42,\n  {\"email\": \"c@x.com\", \"vip\": false}\n]\n",
    );
    let s = t.customers(&path).await;
    assert_eq!(lines(&s), vec![3, 4]);
    assert_eq!(s.inserted, 2);
    let id = find_customer(&t.ws.pool, "a@x.com").await.unwrap().unwrap();
    let view = customer_view(&t.ws.pool, id).await.unwrap().unwrap();
    assert_eq!(view.profile.attributes["vip"], true);
    assert_eq!(view.profile.attributes["recommendations"][0]["name"], "Tea");
}

#[tokio::test]
async fn bad_event_rows_are_rejected_and_the_rest_land() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email\na@x.com\n")).await;
    let events = t.file(
        "e.csv",
        "email,timestamp,type,value\na@x.com,2024-01-01,purchase,10\na@x.com,yesterday,purchase,10\na@x.com,2024-01-02,purchase,ten\nnobody@x.com,2024-01-03,purchase,1\na@x.com,2024-01-04T08:00:00+08:00,view,\n",
    );
    let s = t.events(&events).await;
    assert_eq!(lines(&s), vec![3, 4, 5]);
    assert!(s.errors[0].reason.contains("bad date 'yesterday'"));
    assert!(s.errors[1].reason.contains("bad number 'ten'"));
    assert!(s.errors[2]
        .reason
        .contains("no customer with email 'nobody@x.com'"));
    assert_eq!(s.inserted, 2);
}

#[tokio::test]
async fn tab_separated_with_bom_and_semicolon_tags() {
    let t = TestWorkspace::new().await;
    let path = t.file("export.tsv", "\u{FEFF}E-Mail\tVorname\tNachname\tTags\tEmail Opt-In\n zoe@x.de \tZoë\tMüller\tvip;newsletter\tvielleicht\n");
    let forced = ImportOptions {
        overrides: tessera_engine::customers::parse_overrides(&[
            "Vorname=first_name".into(),
            "Nachname=last_name".into(),
            "Email Opt-In=consent:email".into(),
        ])
        .unwrap(),
        ..Default::default()
    };
    let s = import_customers(&t.ws, &path, &forced, &|_| {})
        .await
        .unwrap();
    assert_eq!(s.delimiter.as_deref(), Some("\t"));
    // "vielleicht" (maybe) is no yes/no: the row is rejected, not guessed.
    assert_eq!(lines(&s), vec![2]);
    assert!(s.errors[0].reason.contains("bad yes/no value 'vielleicht'"));
    let path = t.file("export2.tsv", "\u{FEFF}E-Mail\tVorname\tNachname\tTags\tEmail Opt-In\n zoe@x.de \tZoë\tMüller\tvip;newsletter\tja\n");
    let s = import_customers(&t.ws, &path, &forced, &|_| {})
        .await
        .unwrap();
    assert_eq!(s.inserted, 1, "{:?}", s.errors);
    let id = find_customer(&t.ws.pool, "ZOE@x.de")
        .await
        .unwrap()
        .unwrap();
    let view = customer_view(&t.ws.pool, id).await.unwrap().unwrap();
    assert_eq!(
        (
            view.profile.first_name.as_deref(),
            view.profile.last_name.as_deref()
        ),
        (Some("Zoë"), Some("Müller"))
    );
    assert_eq!(
        view.profile.tags.iter().collect::<Vec<_>>(),
        vec!["newsletter", "vip"]
    );
    assert_eq!(view.profile.consent.get("email"), Some(&true));
}

#[tokio::test]
async fn identical_event_rows_in_one_file_are_separate_purchases() {
    let t = TestWorkspace::new().await;
    t.customers(&t.file("c.csv", "email\na@x.com\n")).await;
    // Two identical CDs bought on the same day: two purchases, not a duplicate.
    let events = t.file("e.csv", "email,date,type,amount\na@x.com,1997-01-01,purchase,11.77\na@x.com,1997-01-01,purchase,11.77\n");
    assert_eq!(t.events(&events).await.inserted, 2);
    assert_eq!(
        t.events(&events).await.inserted,
        0,
        "re-importing the file adds nothing"
    );
    assert_eq!(t.count("events").await, 2);
}

#[tokio::test]
async fn a_cancelled_import_writes_nothing_and_the_next_one_works() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tessera_engine::customers::{import_events, ImportError, Progress};

    let t = TestWorkspace::new().await;
    t.customers(&t.file("first.csv", "email\nfirst@example.com\n"))
        .await;
    let mut people = String::from("email,first_name,tags\n");
    let mut purchases = String::from("email,timestamp,type,value\n");
    for i in 0..5000 {
        people.push_str(&format!("p{i}@example.com,P{i},vip\n"));
        purchases.push_str(&format!("p{i}@example.com,2024-05-01,purchase,{i}\n"));
    }
    let people = t.file("people.csv", people);
    let purchases = t.file("purchases.csv", purchases);

    // Import options cancelled from the start, or once the import starts writing.
    let cancelled = |at_writing: bool| {
        let cancel = Arc::new(AtomicBool::new(!at_writing));
        let options = ImportOptions {
            cancel: Some(cancel.clone()),
            ..Default::default()
        };
        let stop_when_writing = move |p: Progress| {
            if matches!(p, Progress::Writing { .. }) {
                cancel.store(true, Ordering::Relaxed);
            }
        };
        (options, stop_when_writing)
    };

    // Cancelled before it starts writing, and cancelled in the middle of SQLite's inserts.
    for at_writing in [false, true] {
        let (options, progress) = cancelled(at_writing);
        let result = import_customers(&t.ws, &people, &options, &progress).await;
        assert!(matches!(result, Err(ImportError::Cancelled)), "{result:?}");
        assert_eq!(t.count("customers").await, 1);
    }

    t.customers(&people).await;
    assert_eq!(t.count("customers").await, 5001);
    let (options, progress) = cancelled(true);
    let result = import_events(&t.ws, &purchases, &options, &progress).await;
    assert!(matches!(result, Err(ImportError::Cancelled)), "{result:?}");
    assert_eq!(t.count("events").await, 0);

    // Bulk imports build some indexes after their rows: they are all there afterwards, and
    // the unique one still refuses a re-import.
    assert_eq!(t.events(&purchases).await.inserted, 5000);
    assert_eq!(t.events(&purchases).await.unchanged, 5000);
    let indexes: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .fetch_all(&t.ws.pool)
            .await
            .unwrap();
    for index in [
        "customer_keys_by_customer",
        "customer_tags_by_tag",
        "events_by_customer",
    ] {
        assert!(
            indexes.iter().any(|i| i == index),
            "{index} missing: {indexes:?}"
        );
    }
}

#[tokio::test]
async fn a_preview_shows_encoding_delimiter_mapping_and_first_rows() {
    use tessera_engine::customers::source::Format;
    use tessera_engine::customers::{parse_field, preview_file, Target};

    let t = TestWorkspace::new().await;
    let text = "姓名;邮箱;手机;退订;会员等级\r\n张伟;zhang.wei@example.cn;138 0013 8000;是;金卡\r\n欧阳娜娜;nana@example.cn;;否;银卡\r\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = t.file("客户.csv", &bytes);
    let preview = preview_file(&path, &ImportOptions::default(), Target::Customers).unwrap();
    assert_eq!(
        (
            preview.format,
            preview.encoding,
            preview.delimiter.as_deref()
        ),
        (Format::Csv, "gb18030", Some(";"))
    );
    let fields: Vec<&str> = preview.columns.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "email",
            "phone",
            "optout:email",
            "attribute:会员等级"
        ]
    );
    assert_eq!(preview.columns[0].name, "姓名");
    assert_eq!(
        preview.rows,
        [
            [
                "张伟",
                "zhang.wei@example.cn",
                "138 0013 8000",
                "是",
                "金卡"
            ],
            ["欧阳娜娜", "nana@example.cn", "", "否", "银卡"]
        ]
    );
    assert!(preview.whole_file);

    // The user's mapping is what the preview (and the import) reads.
    let mapped = ImportOptions {
        overrides: [("手机".to_string(), parse_field("ignore").unwrap())].into(),
        ..Default::default()
    };
    let preview = preview_file(&path, &mapped, Target::Customers).unwrap();
    assert_eq!(preview.columns[2].field, "ignore");

    // A large file is previewed from its first megabyte, cut at a line end.
    let mut big = String::from("email,city\n");
    for i in 0..100_000 {
        big.push_str(&format!("user{i}@example.com,Zürich\n"));
    }
    let path = t.file("big.csv", big);
    let preview = preview_file(&path, &ImportOptions::default(), Target::Customers).unwrap();
    assert!(!preview.whole_file);
    assert!(preview.rows_read > 1000 && preview.rows_read < 100_000);
    assert_eq!(preview.rows[0], ["user0@example.com", "Zürich"]);
}

#[tokio::test]
async fn customer_pages_sort_by_name_and_email_with_blanks_last_both_ways() {
    use tessera_engine::customers::{customer_page, PageQuery, SortKey};

    let t = TestWorkspace::new().await;
    let people = t.file(
        "people.csv",
        "email,phone,first_name,last_name\n\
         zoe@example.com,,Zoë,Ångström\n\
         ,+4915112345678,Bob,\n\
         li@example.cn,,伟,李\n\
         ann@example.com,,Ann,Lee\n\
         cy@example.com,,Cy,Lee\n",
    );
    t.customers(&people).await;
    let page = |sort, descending, offset| {
        let ws = &t.ws;
        async move {
            let query = PageQuery {
                sort,
                descending,
                offset,
                limit: 2,
                ..Default::default()
            };
            customer_page(&ws.pool, &query).await.unwrap()
        }
    };
    let mut names = Vec::new();
    for offset in [0, 2, 4] {
        for row in page(SortKey::Name, false, offset).await.rows {
            names.push(format!(
                "{} {}",
                row.first_name.unwrap_or_default(),
                row.last_name.unwrap_or_default()
            ));
        }
    }
    assert_eq!(
        names,
        ["Ann Lee", "Cy Lee", "Zoë Ångström", "伟 李", "Bob "]
    );
    let last_first = page(SortKey::Name, true, 0).await.rows;
    assert_eq!(
        last_first[0].first_name.as_deref(),
        Some("Bob"),
        "blanks come first when reversed"
    );
    let by_email: Vec<Option<String>> = page(SortKey::Email, false, 0)
        .await
        .rows
        .into_iter()
        .map(|r| r.email)
        .collect();
    assert_eq!(
        by_email,
        [
            Some("ann@example.com".into()),
            Some("cy@example.com".into())
        ]
    );
    assert_eq!(page(SortKey::Email, false, 4).await.rows[0].email, None);
    assert_eq!(page(SortKey::Created, true, 0).await.total, 5);
}

#[tokio::test]
async fn columns_in_other_words_import_into_the_existing_attributes() {
    use tessera_engine::customers::suggest::SuggestionReason;
    use tessera_engine::customers::{preview_import, Target};
    let t = TestWorkspace::new().await;
    let first = t.file(
        "first.csv",
        "email,first_name,last_name,city,loyalty_tier,birthday\n\
         fang@example.cn,芳,王,上海,bronze,1990-04-02\n\
         li@example.cn,娜,李,北京,silver,1985-11-20\n",
    );
    t.customers(&first).await;
    let text = "邮箱,姓名,城市,会员等级,生日,等级名称\r\n\
                fang@example.cn,王芳,杭州,金卡,1990-04-02,gold\r\n\
                not-an-email,李娜,北京,银卡,,silver\r\n\
                new@example.cn,张伟,深圳,银卡,,bronze\r\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = t.file("会员.csv", &bytes);
    let preview = preview_import(&t.ws, &path, &ImportOptions::default(), Target::Customers)
        .await
        .unwrap();
    let column = |name: &str| preview.columns.iter().find(|c| c.name == name).unwrap();
    assert_eq!(column("城市").field, "attribute:city");
    assert_eq!(column("会员等级").field, "attribute:loyalty_tier");
    assert_eq!(column("生日").field, "attribute:birthday");
    assert_eq!(
        column("会员等级").suggestion.as_ref().map(|s| s.reason),
        Some(SuggestionReason::Translation)
    );
    // Values that loyalty_tier holds suggest it, but do not decide (会员等级 already is it).
    let by_values = column("等级名称").suggestion.as_ref().unwrap();
    assert_eq!(
        (
            column("等级名称").field.as_str(),
            by_values.field.as_str(),
            by_values.reason
        ),
        (
            "attribute:等级名称",
            "attribute:loyalty_tier",
            SuggestionReason::Values
        )
    );
    let forecast = preview.forecast.unwrap();
    assert_eq!((forecast.new_customers, forecast.updated_customers), (1, 1));
    assert_eq!(forecast.rejected.len(), 1);
    assert_eq!(forecast.rejected[0].line, 3);
    assert_eq!(forecast.changed_total, 1);
    let change = &forecast.changes[0];
    assert_eq!((change.line, change.name.as_deref()), (2, Some("王芳")));
    let changed: Vec<(&str, &str, &str)> = change
        .values
        .iter()
        .map(|v| (v.field.as_str(), v.before.as_str(), v.after.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            ("attribute:city", "上海", "杭州"),
            ("attribute:loyalty_tier", "bronze", "金卡")
        ]
    );

    let s = t.customers(&path).await;
    assert_eq!((s.inserted, s.updated, s.rejected), (1, 1, 1));
    let id = find_customer(&t.ws.pool, "fang@example.cn")
        .await
        .unwrap()
        .unwrap();
    let view = customer_view(&t.ws.pool, id).await.unwrap().unwrap();
    let attributes = &view.profile.attributes;
    assert_eq!(
        (&attributes["city"], &attributes["loyalty_tier"]),
        (&"杭州".into(), &"金卡".into())
    );
    assert!(!attributes.contains_key("会员等级") && !attributes.contains_key("城市"));
    // Choosing a new attribute by hand still makes one.
    let mut options = ImportOptions::default();
    options.overrides.insert(
        "会员等级".into(),
        tessera_engine::customers::parse_field("attribute:会员等级").unwrap(),
    );
    import_customers(&t.ws, &path, &options, &|_| {})
        .await
        .unwrap();
    let view = customer_view(&t.ws.pool, id).await.unwrap().unwrap();
    assert_eq!(view.profile.attributes["会员等级"], "金卡");
}

/// An events file the way a shop exports it: no type column, a future date by mistake, a
/// customer the workspace does not have. The wizard's preview says what it lacks, then what
/// importing it would do, before anything is written; a second import adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_events_file_without_a_type_column_is_previewed_then_imported_with_one_type() {
    use tessera_engine::app::{ImportKind, ImportSettings};

    let dir = tempfile::tempdir().unwrap();
    let session = crate::support::shop_session(
        dir.path(),
        "Customer No,Email,First Name\nC-1,wang.fang@example.cn,芳\nC-2,zoe@example.com,Zoë\n",
    )
    .await;
    let events = dir.path().join("orders.csv");
    std::fs::write(
        &events,
        "会员号,下单时间,金额\nC-1,2026-03-01 10:00,120\nC-2,2026-04-02 11:30,35.5\nC-9,2026-04-03,10\nC-2,2099-01-01,1\n",
    )
    .unwrap();
    let preview = session
        .import_preview(&events, ImportKind::Events, &ImportSettings::default())
        .await
        .unwrap();
    let fields: Vec<&str> = preview.columns.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["external_id", "timestamp", "value"]);
    let missing = preview.missing.expect("the type is asked for");
    assert_eq!(
        (missing.field.as_str(), missing.code.as_str()),
        ("event_type", "missing_event_type")
    );
    assert!(preview.events_forecast.is_none());
    // Importing as it is says the same, as a problem of that field.
    let refused = crate::support::import_as(&session, &events, ImportKind::Events)
        .await
        .unwrap_err();
    assert_eq!(refused.problem.unwrap().code, "missing_event_type");

    let typed = ImportSettings {
        event_type: Some(" Purchase ".into()),
        ..Default::default()
    };
    let preview = session
        .import_preview(&events, ImportKind::Events, &typed)
        .await
        .unwrap();
    assert!(preview.missing.is_none());
    let forecast = preview.events_forecast.expect("a forecast");
    assert_eq!(
        (
            forecast.new_events,
            forecast.customers,
            forecast.already_imported,
            forecast.rejected_total
        ),
        (2, 2, 0, 2)
    );
    let reasons: Vec<(usize, &str)> = forecast
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons[0].0 == 4 && reasons[0].1.contains("no customer"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == 5 && reasons[1].1.contains("future"),
        "{reasons:?}"
    );
    assert_eq!(
        session.status().await.unwrap().events,
        0,
        "a preview writes nothing"
    );

    let summary = session
        .import(&events, ImportKind::Events, &typed, None, &|_| {})
        .await
        .unwrap();
    assert_eq!((summary.inserted, summary.rejected), (2, 2));
    let ws = tessera_engine::store::Workspace::open(
        &dir.path().join("shop.sqlite"),
        tessera_engine::store::Access::Existing,
    )
    .await
    .unwrap();
    let types: Vec<String> = sqlx::query_scalar("SELECT DISTINCT type FROM events")
        .fetch_all(&ws.pool)
        .await
        .unwrap();
    assert_eq!(
        types,
        ["purchase"],
        "written as a type column's value would be"
    );
    // The same file again: the preview knows it is imported, and the import adds nothing.
    let again = session
        .import_preview(&events, ImportKind::Events, &typed)
        .await
        .unwrap()
        .events_forecast
        .unwrap();
    assert_eq!((again.new_events, again.already_imported), (0, 2));
    // Future dates kept when asked.
    let future = ImportSettings {
        allow_future: true,
        ..typed
    };
    let kept = session
        .import_preview(&events, ImportKind::Events, &future)
        .await
        .unwrap()
        .events_forecast
        .unwrap();
    assert_eq!((kept.new_events, kept.rejected_total), (1, 1));
}
