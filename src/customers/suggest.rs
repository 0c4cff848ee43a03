//! Which existing attribute a new file's column means: the same name written differently
//! ("Loyalty Tier" → `loyalty_tier`), a translation (会员等级 → `loyalty_tier`), or values the
//! attribute already holds. Importing 会员等级 beside `loyalty_tier` would otherwise make a second
//! attribute with conflicting values that templates never read.

use std::collections::HashSet;

use super::columns::Field;

/// Attributes that shops keep under many names, in English and Chinese (spelled as `squash`
/// leaves them: lower case, no spaces or separators). A column and an attribute whose names are
/// in one list are one attribute.
const CONCEPTS: &[&[&str]] = &[
    &["city", "town", "城市", "所在城市", "市"],
    &[
        "province",
        "state",
        "region",
        "省",
        "省份",
        "地区",
        "所在地区",
    ],
    &["country", "国家", "国家地区"],
    &[
        "birthday",
        "birthdate",
        "dateofbirth",
        "dob",
        "生日",
        "出生日期",
        "出生年月日",
    ],
    &["gender", "sex", "性别"],
    &["age", "年龄"],
    &[
        "loyaltytier",
        "tier",
        "memberlevel",
        "membershiplevel",
        "membertier",
        "loyaltylevel",
        "level",
        "会员等级",
        "会员级别",
        "等级",
        "会员类型",
        "会员卡等级",
    ],
    &[
        "points",
        "loyaltypoints",
        "memberpoints",
        "积分",
        "会员积分",
    ],
    &[
        "signupdate",
        "signup",
        "joined",
        "joindate",
        "registered",
        "registrationdate",
        "membersince",
        "注册日期",
        "注册时间",
        "入会日期",
        "开卡日期",
    ],
    &[
        "company",
        "organization",
        "organisation",
        "employer",
        "公司",
        "单位",
        "公司名称",
    ],
    &["address", "streetaddress", "地址", "收货地址", "联系地址"],
    &[
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "邮编",
        "邮政编码",
    ],
    &["store", "shop", "homestore", "门店", "店铺", "所属门店"],
    &[
        "source",
        "channel",
        "acquisitionchannel",
        "来源",
        "渠道",
        "客户来源",
    ],
    &["skintype", "肤质", "皮肤类型"],
    &[
        "favoritecategory",
        "favouritecategory",
        "preferredcategory",
        "偏好品类",
        "喜欢的品类",
    ],
    &["occupation", "job", "jobtitle", "职业", "职位"],
];

/// Why a column was matched to an existing attribute.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionReason {
    /// The same name, written differently.
    SameName,
    /// A name that means the same (会员等级 and `loyalty_tier`).
    Translation,
    /// Most of the column's values are values the attribute already has.
    Values,
}

/// The attribute of `existing` that `column` names (by spelling or translation), if any.
pub fn named_attribute<'a>(
    column: &str,
    existing: &'a [String],
) -> Option<(&'a String, SuggestionReason)> {
    let squashed = super::columns::squash(column);
    if let Some(same) = existing
        .iter()
        .find(|a| super::columns::squash(a) == squashed)
    {
        return Some((same, SuggestionReason::SameName));
    }
    let concept = CONCEPTS
        .iter()
        .find(|names| names.contains(&squashed.as_str()))?;
    existing
        .iter()
        .find(|a| concept.contains(&super::columns::squash(a).as_str()))
        .map(|a| (a, SuggestionReason::Translation))
}

/// Maps each new custom column onto the existing attribute it names, unless the user chose its
/// field, another column already is that attribute, or it names an attribute of its own.
pub fn use_existing_attributes(
    columns: &[String],
    fields: &mut [Field],
    chosen: &dyn Fn(&str) -> bool,
    existing: &[String],
) {
    let taken: HashSet<String> = fields
        .iter()
        .filter_map(|f| match f {
            Field::Custom(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut claimed = HashSet::new();
    for (column, field) in columns.iter().zip(fields.iter_mut()) {
        let Field::Custom(name) = field else { continue };
        if chosen(column.trim()) || existing.contains(name) {
            continue;
        }
        if let Some((attribute, _)) = named_attribute(column, existing) {
            if !taken.contains(attribute) && claimed.insert(attribute.clone()) {
                *field = Field::Custom(attribute.clone());
            }
        }
    }
}

/// The existing attribute whose known values cover most of a column's values: shown to the user
/// as a suggestion, never applied on its own (values alone can be a coincidence).
pub fn attribute_by_values<'a>(
    column_values: &[String],
    attribute_values: &'a [(String, HashSet<String>)],
) -> Option<&'a String> {
    let distinct: HashSet<String> = column_values
        .iter()
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    if distinct.len() < 2 {
        return None;
    }
    attribute_values
        .iter()
        .map(|(name, values)| {
            (
                name,
                distinct.iter().filter(|v| values.contains(*v)).count(),
            )
        })
        .filter(|&(_, shared)| shared >= 2 && shared * 10 >= distinct.len() * 6)
        .max_by_key(|&(_, shared)| shared)
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn translations_and_spellings_find_the_existing_attribute() {
        let existing = names(&["city", "loyalty_tier", "birthday", "points"]);
        let found = |c: &str| named_attribute(c, &existing).map(|(a, r)| (a.as_str(), r));
        assert_eq!(found("城市"), Some(("city", SuggestionReason::Translation)));
        assert_eq!(
            found("会员等级"),
            Some(("loyalty_tier", SuggestionReason::Translation))
        );
        assert_eq!(
            found("生日"),
            Some(("birthday", SuggestionReason::Translation))
        );
        assert_eq!(
            found("Loyalty Tier"),
            Some(("loyalty_tier", SuggestionReason::SameName))
        );
        assert_eq!(
            found("Date of birth"),
            Some(("birthday", SuggestionReason::Translation))
        );
        assert_eq!(found("肤质"), None, "no such attribute yet");
    }

    #[test]
    fn a_column_the_user_chose_or_one_already_present_keeps_its_attribute() {
        let existing = names(&["city", "loyalty_tier"]);
        let columns = names(&["城市", "city", "会员等级", "备注"]);
        let mut fields: Vec<Field> = ["城市", "city", "会员等级", "备注"]
            .iter()
            .map(|c| Field::Custom(c.to_string()))
            .collect();
        use_existing_attributes(&columns, &mut fields, &|c| c == "会员等级", &existing);
        let mapped: Vec<&str> = fields
            .iter()
            .map(|f| match f {
                Field::Custom(n) => n.as_str(),
                _ => "",
            })
            .collect();
        // `city` is in the file itself, so 城市 stays its own; 会员等级 was chosen by the user.
        assert_eq!(mapped, ["城市", "city", "会员等级", "备注"]);

        let columns = names(&["城市", "会员等级"]);
        let mut fields = vec![
            Field::Custom("城市".into()),
            Field::Custom("会员等级".into()),
        ];
        use_existing_attributes(&columns, &mut fields, &|_| false, &existing);
        assert_eq!(
            fields,
            [
                Field::Custom("city".into()),
                Field::Custom("loyalty_tier".into())
            ]
        );
    }

    #[test]
    fn values_suggest_but_a_coincidence_does_not() {
        let known = vec![(
            "loyalty_tier".to_string(),
            ["bronze", "silver", "gold"].map(String::from).into(),
        )];
        let column = names(&["Gold", "silver", "gold", "bronze"]);
        assert_eq!(
            attribute_by_values(&column, &known).map(String::as_str),
            Some("loyalty_tier")
        );
        let column = names(&["gold", "金卡", "银卡", "铜卡", "钻石"]);
        assert_eq!(attribute_by_values(&column, &known), None);
    }
}
