//! The index's arrays, either built in memory or mapped from the kept index file: a fresh process
//! maps the file and touches only the pages a rule reads (an attribute rule reads a few MB of a
//! file of hundreds), instead of reading and decoding all of it.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use bytemuck::Pod;

/// A read-only file mapping. The kept index is written under a temporary name and renamed into
/// place, never changed in place, so a mapping sees one whole file for as long as it lives.
pub(super) struct Mapping(memmap2::Mmap);

impl Mapping {
    pub(super) fn of(file: &std::fs::File) -> std::io::Result<Mapping> {
        // SAFETY: the mapping is read-only and Tessera never writes or truncates a kept index in
        // place (a new one replaces it by rename; this mapping keeps the old file alive). Another
        // program truncating the file while it is mapped could make reads fault; that is the
        // price of not reading hundreds of MB per command.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Mapping(map))
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A slice of `T`s, owned or borrowed from a mapping (copied on first change).
pub(crate) enum Column<T> {
    Owned(Vec<T>),
    Mapped {
        file: Arc<Mapping>,
        bytes: Range<usize>,
    },
}

impl<T: Pod> Column<T> {
    /// `bytes` of the mapping as `T`s, if they are in the file and aligned for `T`.
    pub(super) fn mapped(file: &Arc<Mapping>, bytes: Range<usize>) -> Option<Column<T>> {
        let slice = file.bytes().get(bytes.clone())?;
        bytemuck::try_cast_slice::<u8, T>(slice).ok()?;
        Some(Column::Mapped {
            file: file.clone(),
            bytes,
        })
    }

    /// The values, made owned (a mapped column is copied once).
    pub(crate) fn make_mut(&mut self) -> &mut Vec<T> {
        if let Column::Mapped { .. } = self {
            *self = Column::Owned(self.to_vec());
        }
        match self {
            Column::Owned(values) => values,
            Column::Mapped { .. } => unreachable!("made owned above"),
        }
    }
}

impl<T: Pod> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Column::Owned(values) => values,
            // `mapped` checked the range and the alignment.
            Column::Mapped { file, bytes } => bytemuck::cast_slice(&file.bytes()[bytes.clone()]),
        }
    }
}

impl<T: Pod> Clone for Column<T> {
    fn clone(&self) -> Column<T> {
        match self {
            Column::Owned(values) => Column::Owned(values.clone()),
            Column::Mapped { file, bytes } => Column::Mapped {
                file: file.clone(),
                bytes: bytes.clone(),
            },
        }
    }
}

impl<T: Pod + PartialEq> PartialEq for Column<T> {
    fn eq(&self, other: &Column<T>) -> bool {
        **self == **other
    }
}

impl<T: Pod + Eq> Eq for Column<T> {}

impl<T: Pod> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column[{}]", self.len())
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(values: Vec<T>) -> Column<T> {
        Column::Owned(values)
    }
}

/// Distinct strings in code order, stored as one byte array and the end offset of each.
#[derive(Debug, Clone)]
pub(super) struct Strings {
    pub(super) ends: Column<u64>,
    pub(super) bytes: Column<u8>,
}

impl Strings {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `code` ("" for a code that is not one, as from a damaged file).
    pub(super) fn get(&self, code: usize) -> &str {
        let start = match code {
            0 => 0,
            _ => self.ends.get(code - 1).copied().unwrap_or(u64::MAX),
        };
        let end = self.ends.get(code).copied().unwrap_or(0);
        self.bytes
            .get(start as usize..end as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|code| self.get(code))
    }

    /// The code of `wanted` (a scan: rules look up a handful of values once per count).
    pub(super) fn code_of(&self, wanted: &str) -> Option<u32> {
        self.iter().position(|s| s == wanted).map(|p| p as u32)
    }
}

/// Gives each distinct string a code as values stream in.
#[derive(Default)]
pub(super) struct StringsBuilder {
    ends: Vec<u64>,
    bytes: Vec<u8>,
    codes: HashMap<String, u32>,
}

impl StringsBuilder {
    pub(super) fn code(&mut self, value: &str) -> u32 {
        if let Some(code) = self.codes.get(value) {
            return *code;
        }
        let code = self.ends.len() as u32;
        self.bytes.extend_from_slice(value.as_bytes());
        self.ends.push(self.bytes.len() as u64);
        self.codes.insert(value.to_string(), code);
        code
    }

    pub(super) fn finish(self) -> Strings {
        Strings {
            ends: self.ends.into(),
            bytes: self.bytes.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StringsBuilder;

    #[test]
    fn strings_keep_their_codes_and_bad_codes_read_empty() {
        let mut b = StringsBuilder::default();
        assert_eq!(b.code("上海"), 0);
        assert_eq!(b.code(""), 1);
        assert_eq!(b.code("zürich"), 2);
        assert_eq!(b.code("上海"), 0);
        let strings = b.finish();
        assert_eq!(strings.iter().collect::<Vec<_>>(), ["上海", "", "zürich"]);
        assert_eq!(strings.code_of("zürich"), Some(2));
        assert_eq!(strings.code_of("paris"), None);
        assert_eq!(strings.get(7), "");
    }
}
