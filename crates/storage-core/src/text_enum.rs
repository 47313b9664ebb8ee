//! `string_enum!`: enums stored and printed as fixed lowercase strings, so the values the code writes
//! and the values a schema's CHECK constraint accepts come from one list (`ALL`).

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
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
}
pub(crate) use string_enum;
