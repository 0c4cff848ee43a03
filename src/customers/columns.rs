//! Maps file headers to the fields Tessera knows, by common names in English and Chinese.
//! `--map COLUMN=FIELD` overrides; every other column becomes an attribute (customers) or a
//! property (events).

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Email,
    Phone,
    FirstName,
    LastName,
    /// A whole name, split into first and last name.
    FullName,
    ExternalId,
    Locale,
    Tags,
    /// A consent flag; `opt_out` means a true value withdraws consent.
    Consent {
        channel: Channel,
        opt_out: bool,
    },
    // Events
    Timestamp,
    EventType,
    Value,
    /// A custom attribute (customers) or event property (events), under this name.
    Custom(String),
    Ignore,
}

impl Field {
    /// Whether the field says who a row is about.
    pub fn is_key(&self) -> bool {
        matches!(self, Field::Email | Field::Phone | Field::ExternalId)
    }
}

/// Header spelled for matching: compatibility-normalized and lower case, without spaces,
/// dashes, underscores, dots or invisible characters (a byte-order mark before `email`).
pub(super) fn squash(header: &str) -> String {
    crate::values::clean::identifier(header)
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '　'))
        .collect()
}

const EMAIL: &[&str] = &[
    "email",
    "mail",
    "emailaddress",
    "邮箱",
    "电子邮件",
    "电子邮箱",
    "邮件",
    "邮箱地址",
    "邮件地址",
];
const PHONE: &[&str] = &[
    "phone",
    "mobile",
    "tel",
    "telephone",
    "phonenumber",
    "mobilephone",
    "mobilenumber",
    "cell",
    "cellphone",
    "mobileno",
    "phoneno",
    "telno",
    "cellno",
    "mobile#",
    "phone#",
    "handphone",
    "手机",
    "手机号",
    "手机号码",
    "电话",
    "联系电话",
    "电话号码",
    "移动电话",
    "会员手机",
    "会员手机号",
    "客户手机",
    "客户手机号",
];
const FIRST_NAME: &[&str] = &[
    "firstname",
    "givenname",
    "first",
    "fname",
    "forename",
    "名",
    "名字",
];
const LAST_NAME: &[&str] = &[
    "lastname",
    "surname",
    "familyname",
    "last",
    "lname",
    "姓",
    "姓氏",
];
const FULL_NAME: &[&str] = &[
    "name",
    "fullname",
    "customername",
    "contactname",
    "姓名",
    "客户名称",
    "客户姓名",
    "会员姓名",
    "会员名称",
    "名称",
    "联系人",
];
const EXTERNAL_ID: &[&str] = &[
    "id",
    "customerid",
    "externalid",
    "memberid",
    "userid",
    "clientid",
    "customernumber",
    "customerno",
    "customer#",
    "custno",
    "memberno",
    "membernumber",
    "member#",
    "clientno",
    "clientnumber",
    "accountno",
    "accountnumber",
    "会员号",
    "会员卡号",
    "会员卡",
    "客户号",
    "会员id",
    "会员编号",
    "客户编号",
    "客户id",
    "用户id",
    "用户编号",
];
const LOCALE: &[&str] = &["locale", "language", "lang", "语言"];
const TAGS: &[&str] = &["tags", "tag", "labels", "label", "标签"];
const EMAIL_OPT_IN: &[&str] = &[
    "emailoptin",
    "optin",
    "subscribed",
    "emailsubscribed",
    "acceptsmarketing",
    "acceptsemailmarketing",
    "marketingconsent",
    "emailconsent",
    "consent",
    "newsletter",
    "订阅",
    "邮件订阅",
    "已订阅",
];
const EMAIL_OPT_OUT: &[&str] = &[
    "unsubscribed",
    "optout",
    "emailoptout",
    "unsubscribe",
    "emailunsubscribed",
    "donotemail",
    "退订",
    "已退订",
    "取消订阅",
    "邮件退订",
];
const SMS_OPT_IN: &[&str] = &[
    "smsoptin",
    "smsconsent",
    "smssubscribed",
    "acceptssmsmarketing",
    "短信订阅",
];
const SMS_OPT_OUT: &[&str] = &["smsoptout", "smsunsubscribed", "短信退订"];
const PUSH_OPT_IN: &[&str] = &["pushoptin", "pushconsent"];
const TIMESTAMP: &[&str] = &[
    "timestamp",
    "time",
    "date",
    "datetime",
    "occurredat",
    "createdat",
    "orderdate",
    "eventtime",
    "eventdate",
    "purchasedate",
    "时间",
    "日期",
    "下单时间",
    "订单日期",
    "购买时间",
    "发生时间",
];
const EVENT_TYPE: &[&str] = &[
    "type",
    "event",
    "eventtype",
    "eventname",
    "action",
    "事件",
    "事件类型",
    "类型",
];
const VALUE: &[&str] = &[
    "value",
    "amount",
    "revenue",
    "total",
    "ordertotal",
    "金额",
    "订单金额",
    "消费金额",
];

/// Which kind of file the columns belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Customers,
    Events,
}

fn known_field(squashed: &str, target: Target) -> Option<Field> {
    let is = |names: &[&str]| names.contains(&squashed);
    let common = if is(EMAIL) {
        Field::Email
    } else if is(PHONE) {
        Field::Phone
    } else if is(EXTERNAL_ID) {
        Field::ExternalId
    } else {
        match target {
            Target::Customers if is(FIRST_NAME) => Field::FirstName,
            Target::Customers if is(LAST_NAME) => Field::LastName,
            Target::Customers if is(FULL_NAME) => Field::FullName,
            Target::Customers if is(LOCALE) => Field::Locale,
            Target::Customers if is(TAGS) => Field::Tags,
            Target::Customers if is(EMAIL_OPT_IN) => Field::Consent {
                channel: Channel::Email,
                opt_out: false,
            },
            Target::Customers if is(EMAIL_OPT_OUT) => Field::Consent {
                channel: Channel::Email,
                opt_out: true,
            },
            Target::Customers if is(SMS_OPT_IN) => Field::Consent {
                channel: Channel::Sms,
                opt_out: false,
            },
            Target::Customers if is(SMS_OPT_OUT) => Field::Consent {
                channel: Channel::Sms,
                opt_out: true,
            },
            Target::Customers if is(PUSH_OPT_IN) => Field::Consent {
                channel: Channel::Push,
                opt_out: false,
            },
            Target::Events if is(TIMESTAMP) => Field::Timestamp,
            Target::Events if is(EVENT_TYPE) => Field::EventType,
            Target::Events if is(VALUE) => Field::Value,
            _ => return None,
        }
    };
    Some(common)
}

/// An import setting that is not one: a field name, a delimiter or an encoding as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingError(pub String);

crate::coded!(SettingError {
    _ => InvalidInput,
});

/// Parses the FIELD of `--map COLUMN=FIELD`.
pub fn parse_field(name: &str) -> Result<Field, SettingError> {
    let field = match name.trim() {
        "email" => Field::Email,
        "phone" => Field::Phone,
        "first_name" => Field::FirstName,
        "last_name" => Field::LastName,
        "name" | "full_name" => Field::FullName,
        "external_id" | "id" => Field::ExternalId,
        "locale" => Field::Locale,
        "tags" => Field::Tags,
        "timestamp" => Field::Timestamp,
        "type" | "event_type" => Field::EventType,
        "value" => Field::Value,
        "ignore" | "skip" => Field::Ignore,
        other => {
            if let Some(rest) = other
                .strip_prefix("consent:")
                .or_else(|| other.strip_prefix("optout:"))
            {
                let channel = match rest {
                    "email" => Channel::Email,
                    "sms" => Channel::Sms,
                    "push" => Channel::Push,
                    _ => {
                        return Err(SettingError(format!(
                            "unknown consent channel '{rest}' (email, sms or push)"
                        )))
                    }
                };
                Field::Consent {
                    channel,
                    opt_out: other.starts_with("optout:"),
                }
            } else if let Some(attr) = other
                .strip_prefix("attribute:")
                .or_else(|| other.strip_prefix("property:"))
            {
                Field::Custom(attribute_name(attr))
            } else {
                return Err(SettingError(format!(
                    "unknown field '{other}' (email, phone, first_name, last_name, name, external_id, locale, tags, \
                     consent:CHANNEL, optout:CHANNEL, timestamp, type, value, attribute:NAME, ignore)"
                )));
            }
        }
    };
    Ok(field)
}

/// A field in the spelling `parse_field` reads (`--map COLUMN=FIELD`, the import wizard).
pub fn field_name(field: &Field) -> String {
    match field {
        Field::Email => "email".into(),
        Field::Phone => "phone".into(),
        Field::FirstName => "first_name".into(),
        Field::LastName => "last_name".into(),
        Field::FullName => "name".into(),
        Field::ExternalId => "external_id".into(),
        Field::Locale => "locale".into(),
        Field::Tags => "tags".into(),
        Field::Consent { channel, opt_out } => {
            let prefix = if *opt_out { "optout" } else { "consent" };
            format!("{prefix}:{}", channel.as_str())
        }
        Field::Timestamp => "timestamp".into(),
        Field::EventType => "type".into(),
        Field::Value => "value".into(),
        Field::Custom(name) => format!("attribute:{name}"),
        Field::Ignore => "ignore".into(),
    }
}

/// The attribute name a header becomes: trimmed, lower case, spaces as underscores.
pub fn attribute_name(header: &str) -> String {
    let lower = header.trim().to_lowercase();
    let mut name = String::with_capacity(lower.len());
    for c in lower.chars() {
        match c {
            ' ' | '-' | '.' | '/' if !name.ends_with('_') => name.push('_'),
            c if c.is_alphanumeric() || c == '_' => name.push(c),
            _ => {}
        }
    }
    name.trim_matches('_').to_string()
}

/// Why a file's columns cannot be imported as they are: nothing is guessed silently. (The
/// messages speak the CLI's `--map`; the import wizard words the same cases itself.)
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MappingError {
    #[error(
        "--map names the column '{column}', which the file does not have (its columns: {columns})"
    )]
    UnknownColumn { column: String, columns: String },
    #[error("columns {} all map to {field}; keep one (--map 'COLUMN=ignore' for the others) or map them to different fields", quoted(.columns))]
    Collision { field: String, columns: Vec<String> },
    #[error("column '{column}' has no letters or digits to name an attribute after; map it with --map '{column}=attribute:NAME' or --map '{column}=ignore'")]
    Unnamed { column: String },
}

crate::coded!(MappingError {
    _ => ColumnMapping,
});

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Maps each column to a field: overrides first, then known names, then a custom attribute.
/// Refused (see [`check_mapping`]): an override for a column the file lacks, two columns for one
/// field (`email,email`, or `City,city` as one attribute), and a header that cannot name an
/// attribute (emoji only).
pub fn map_columns(
    columns: &[String],
    overrides: &HashMap<String, Field>,
    target: Target,
    existing: &[String],
) -> Result<Vec<Field>, MappingError> {
    let fields = propose_fields(columns, overrides, target, existing);
    check_mapping(columns, &fields, overrides)?;
    Ok(fields)
}

/// The field each column maps to, before the mapping is checked (the import wizard shows it
/// with its problem, for the user to fix). A header that names no attribute is `Ignore` here.
/// A customer column that names one of the `existing` attributes in other words imports into it.
pub fn propose_fields(
    columns: &[String],
    overrides: &HashMap<String, Field>,
    target: Target,
    existing: &[String],
) -> Vec<Field> {
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|column| {
            if let Some(field) = overrides.get(column.trim()) {
                return field.clone();
            }
            known_field(&squash(column), target).unwrap_or_else(|| {
                let name = attribute_name(column);
                if name.is_empty() {
                    Field::Ignore
                } else {
                    Field::Custom(name)
                }
            })
        })
        .collect();
    if target == Target::Customers {
        let chosen = |column: &str| overrides.contains_key(column);
        super::suggest::use_existing_attributes(columns, &mut fields, &chosen, existing);
    }
    fields
}

/// The first problem of a proposed mapping, if any. Several tag columns are fine: their tags
/// are joined; an empty header with no override is a column without a name, left out.
pub fn check_mapping(
    columns: &[String],
    fields: &[Field],
    overrides: &HashMap<String, Field>,
) -> Result<(), MappingError> {
    if let Some(missing) = overrides
        .keys()
        .filter(|column| !columns.iter().any(|c| c.trim() == column.as_str()))
        .min()
    {
        return Err(MappingError::UnknownColumn {
            column: missing.clone(),
            columns: quoted(columns),
        });
    }
    if let Some(column) = columns.iter().zip(fields).find_map(|(column, field)| {
        let unnamed = *field == Field::Ignore
            && !column.trim().is_empty()
            && !overrides.contains_key(column.trim());
        unnamed.then(|| column.clone())
    }) {
        return Err(MappingError::Unnamed { column });
    }
    let mut by_field: HashMap<String, Vec<&String>> = HashMap::new();
    for (field, column) in fields.iter().zip(columns) {
        if !matches!(field, Field::Ignore | Field::Tags) {
            by_field.entry(field_name(field)).or_default().push(column);
        }
    }
    if let Some((field, same)) = by_field
        .into_iter()
        .filter(|(_, same)| same.len() > 1)
        .min_by_key(|(_, same)| columns.iter().position(|c| c == same[0]))
    {
        return Err(MappingError::Collision {
            field,
            columns: same.into_iter().cloned().collect(),
        });
    }
    Ok(())
}

/// Parses `--map` arguments (`COLUMN=FIELD`).
pub fn parse_overrides(args: &[String]) -> Result<HashMap<String, Field>, SettingError> {
    args.iter()
        .map(|arg| {
            let (column, field) = arg
                .split_once('=')
                .ok_or_else(|| SettingError(format!("--map '{arg}' is not COLUMN=FIELD")))?;
            Ok((column.trim().to_string(), parse_field(field)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_read_back_as_the_same_field() {
        let cols: Vec<String> = [
            "email",
            "手机",
            "姓名",
            "id",
            "语言",
            "标签",
            "退订",
            "sms",
            "Loyalty Tier",
            "时间",
            "类型",
            "金额",
        ]
        .map(String::from)
        .to_vec();
        for target in [Target::Customers, Target::Events] {
            for field in map_columns(&cols, &HashMap::new(), target, &[])
                .unwrap()
                .into_iter()
                .chain([Field::Ignore])
            {
                assert_eq!(parse_field(&field_name(&field)), Ok(field));
            }
        }
    }

    #[test]
    fn english_and_chinese_headers() {
        let cols: Vec<String> = ["E-mail", "手机", "名", "姓", "退订", "Loyalty Tier", "标签"]
            .map(String::from)
            .to_vec();
        let fields = map_columns(&cols, &HashMap::new(), Target::Customers, &[]).unwrap();
        assert_eq!(
            fields,
            vec![
                Field::Email,
                Field::Phone,
                Field::FirstName,
                Field::LastName,
                Field::Consent {
                    channel: Channel::Email,
                    opt_out: true
                },
                Field::Custom("loyalty_tier".into()),
                Field::Tags
            ]
        );
    }

    #[test]
    fn the_usual_names_of_phone_numbers_and_customer_numbers_are_known() {
        let cols: Vec<String> = ["Mobile No", "Customer No.", "会员姓名", "会员等级"]
            .map(String::from)
            .to_vec();
        let fields = map_columns(&cols, &HashMap::new(), Target::Customers, &[]).unwrap();
        assert_eq!(
            fields,
            vec![
                Field::Phone,
                Field::ExternalId,
                Field::FullName,
                Field::Custom("会员等级".into())
            ]
        );
        for (header, field) in [
            ("手机号", Field::Phone),
            ("客户编号", Field::ExternalId),
            ("会员卡号", Field::ExternalId),
            ("Member #", Field::ExternalId),
            ("Phone No", Field::Phone),
        ] {
            let fields =
                map_columns(&[header.to_string()], &HashMap::new(), Target::Customers, &[])
                    .unwrap();
            assert_eq!(fields, vec![field], "{header}");
        }
    }
}
