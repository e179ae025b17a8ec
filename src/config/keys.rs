//! Mappings whose keys are split between two structs, with strict unknown-key checks.
//!
//! Litestream lets every replica setting (`sync-interval`, `region`, `access-key-id`, …) appear
//! both inside a replica and at the top level, where it is a default for every replica. serde's
//! `flatten` would model that but loses positions and cannot reject unknown keys, so instead each
//! group of keys is declared once with [`keyed_struct!`] (which records the YAML key of every
//! field), and [`Pair`] reads one mapping into two such groups. Keys are checked while they are
//! read, so an unknown or duplicate key is reported at its own line and column.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// A struct whose fields are read one YAML key at a time.
pub(crate) trait KeyedFields: Default {
    /// The YAML keys the struct accepts, in declaration order.
    const KEYS: &'static [&'static str];

    /// Reads the value for `key` into its field; returns `false` if `key` is not one of ours.
    fn take_value<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
}

/// Declares a struct whose fields are keyed by YAML names, implementing [`KeyedFields`].
///
/// With a leading `serialize;` the struct also derives `Serialize` (skipping unset fields), and
/// gets `fill_from`, which copies every unset field from another value; all fields must then be
/// `Option`s.
macro_rules! keyed_struct {
    (@impl $name:ident { $( $key:literal $field:ident )* }) => {
        impl $crate::config::keys::KeyedFields for $name {
            const KEYS: &'static [&'static str] = &[$($key),*];

            fn take_value<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $( $key => {
                        self.$field = map.next_value()?;
                        Ok(true)
                    } )*
                    _ => Ok(false),
                }
            }
        }
    };
    (
        serialize;
        $(#[$smeta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $key:literal => pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
        $vis struct $name {
            $(
                $(#[$fmeta])*
                #[serde(rename = $key, skip_serializing_if = "Option::is_none")]
                pub $field: $ty,
            )*
        }

        impl $name {
            /// Copies every field that is unset here from `defaults`.
            pub fn fill_from(&mut self, defaults: &Self) {
                $(
                    if self.$field.is_none() {
                        self.$field = defaults.$field.clone();
                    }
                )*
            }
        }

        keyed_struct!(@impl $name { $( $key $field )* });
    };
    (
        $(#[$smeta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $key:literal => pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        keyed_struct!(@impl $name { $( $key $field )* });
    };
}
pub(crate) use keyed_struct;

/// One YAML mapping read into two groups of keys: the mapping's own keys and shared settings.
#[derive(Debug, Default)]
pub(crate) struct Pair<A, B> {
    /// The keys that belong to this mapping only.
    pub own: A,
    /// The shared keys.
    pub shared: B,
}

impl<'de, A: KeyedFields, B: KeyedFields> Deserialize<'de> for Pair<A, B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PairVisitor(PhantomData))
    }
}

/// Visits the mapping of a [`Pair`].
struct PairVisitor<A, B>(PhantomData<(A, B)>);

impl<'de, A: KeyedFields, B: KeyedFields> Visitor<'de> for PairVisitor<A, B> {
    type Value = Pair<A, B>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of keys to values")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut out = Pair::<A, B>::default();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key_seed(KeySeed {
            groups: [A::KEYS, B::KEYS],
            seen: &mut seen,
        })? {
            if !out.own.take_value(&key, &mut map)? {
                out.shared.take_value(&key, &mut map)?;
            }
        }
        Ok(out)
    }
}

/// Reads a key, rejecting unknown and repeated keys at the key's own position.
struct KeySeed<'a> {
    groups: [&'static [&'static str]; 2],
    seen: &'a mut HashSet<String>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if !self.groups.iter().any(|g| g.contains(&v)) {
            let all: Vec<&str> = self.groups.iter().flat_map(|g| g.iter().copied()).collect();
            return Err(E::custom(unknown_key_message(v, &all)));
        }
        if !self.seen.insert(v.to_owned()) {
            return Err(E::custom(format_args!("duplicate field `{v}`")));
        }
        Ok(v.to_owned())
    }
}

/// The message serde uses for an unknown field, listing the expected keys.
pub(crate) fn unknown_key_message(key: &str, expected: &[&str]) -> String {
    let list: Vec<String> = expected.iter().map(|k| format!("`{k}`")).collect();
    match list.as_slice() {
        [] => format!("unknown field `{key}`, there are no fields"),
        [one] => format!("unknown field `{key}`, expected {one}"),
        [a, b] => format!("unknown field `{key}`, expected {a} or {b}"),
        _ => format!("unknown field `{key}`, expected one of {}", list.join(", ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    keyed_struct! {
        /// Test group one.
        pub(crate) struct One {
            /// A.
            "a-key" => pub a: Option<u32>,
        }
    }

    keyed_struct! {
        serialize;
        /// Test group two.
        pub(crate) struct Two {
            /// B.
            "b-key" => pub b: Option<String>,
            /// C.
            "c-key" => pub c: Option<bool>,
        }
    }

    #[test]
    fn reads_both_groups_and_rejects_unknown_keys() {
        let p: Pair<One, Two> = serde_yaml_ng::from_str("a-key: 1\nb-key: x\n").unwrap();
        assert_eq!(p.own.a, Some(1));
        assert_eq!(p.shared.b.as_deref(), Some("x"));

        let err = serde_yaml_ng::from_str::<Pair<One, Two>>("a-key: 1\nb-kye: x\n").unwrap_err();
        let loc = err.location().unwrap();
        assert_eq!((loc.line(), loc.column()), (2, 1));
        assert!(
            err.to_string()
                .contains("unknown field `b-kye`, expected one of `a-key`, `b-key`, `c-key`"),
            "{err}"
        );

        let err = serde_yaml_ng::from_str::<Pair<One, Two>>("a-key: 1\na-key: 2\n").unwrap_err();
        assert!(err.to_string().contains("duplicate field `a-key`"), "{err}");
        assert_eq!(err.location().unwrap().line(), 2);
    }

    #[test]
    fn fill_from_copies_unset_fields_only() {
        let mut t = Two {
            b: Some("mine".into()),
            c: None,
        };
        t.fill_from(&Two {
            b: Some("theirs".into()),
            c: Some(true),
        });
        assert_eq!(t.b.as_deref(), Some("mine"));
        assert_eq!(t.c, Some(true));
    }
}
