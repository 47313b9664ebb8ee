//! `string_enum!`: enums stored and printed as fixed lowercase strings, so the values the code writes
//! and the values a schema's CHECK constraint accepts come from one list (`ALL`).
//!
//! Two forms. `Name { Variant = "text", … }` parses exactly the stored strings, for values the store
//! writes (statuses, tiers, actions). `Name as "a noun" in "field" { Variant = "text" | "alias", … }`
//! parses what a person types: any case, other spellings, and an error of `field` that lists the values.

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        string_enum!(@define $(#[$meta])* $name { $($(#[$vmeta])* $variant = $text),+ });

        impl ::std::str::FromStr for $name {
            type Err = $crate::StorageError;
            fn from_str(s: &str) -> crate::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::StorageError::invalid(
                        stringify!($name),
                        format!("{} is not one of {}", $crate::quoted(other), [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident as $noun:literal in $field:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)?
    }) => {
        string_enum!(@define $(#[$meta])* $name { $($(#[$vmeta])* $variant = $text),+ });

        impl ::std::str::FromStr for $name {
            type Err = $crate::StorageError;
            fn from_str(s: &str) -> crate::Result<Self> {
                match s.to_ascii_lowercase().as_str() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($crate::StorageError::invalid(
                        $field,
                        format!(
                            "{} is not {}; expected {}",
                            $crate::quoted(s),
                            $noun,
                            $crate::text_enum::alternatives(&[$($text),+])
                        ),
                    )),
                }
            }
        }
    };
    (@define $(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored and printed.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// `a, b or c`: the values a person may type, for an error message.
pub(crate) fn alternatives(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
