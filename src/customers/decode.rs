//! Text encoding of imported files: UTF-8 (with or without BOM) or GB18030, which is what
//! Excel writes for "CSV" in a Chinese locale. Detection: valid UTF-8 wins, anything else is GB18030.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Utf8,
    Gb18030,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }
}

impl std::str::FromStr for Encoding {
    type Err = super::SettingError;
    fn from_str(s: &str) -> Result<Self, super::SettingError> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "utf8" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(Encoding::Gb18030),
            _ => Err(super::SettingError(format!(
                "unknown encoding '{s}' (expected utf-8 or gb18030)"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the file is not valid {encoding} (first bad byte at offset {offset})")]
pub struct DecodeError {
    pub encoding: &'static str,
    pub offset: usize,
}

/// Decodes `bytes` to text, detecting the encoding unless `forced`.
pub fn decode(
    bytes: &[u8],
    forced: Option<Encoding>,
) -> Result<(Cow<'_, str>, Encoding), DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let encoding = match forced {
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        None => Encoding::Gb18030,
    };
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map(|s| (Cow::Borrowed(s), encoding))
            .map_err(|e| DecodeError {
                encoding: "UTF-8",
                offset: e.valid_up_to(),
            }),
        Encoding::Gb18030 => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                let offset = text.find('\u{FFFD}').unwrap_or(0);
                return Err(DecodeError {
                    encoding: "GB18030",
                    offset,
                });
            }
            Ok((text, encoding))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gb18030_chinese_text() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("姓名,邮箱\n张伟,zw@example.cn\n");
        let (text, enc) = decode(&bytes, None).unwrap();
        assert_eq!(enc, Encoding::Gb18030);
        assert!(text.starts_with("姓名,邮箱"));
    }

    #[test]
    fn strips_utf8_bom() {
        let (text, enc) = decode("\u{FEFF}email\n".as_bytes(), None).unwrap();
        assert_eq!((text.as_ref(), enc), ("email\n", Encoding::Utf8));
    }
}
