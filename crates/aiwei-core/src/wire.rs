//! Integers as JSON carries them. JSON has one number type, and JSON Schema
//! counts `10.0` as the integer 10; serde's integer types refuse it. Fields
//! the API documents as integers read through [`integer`] (or
//! [`opt_integer`]), so a client whose JSON library writes `10.0` is not
//! refused for the spelling of a whole number. A fraction, or a number out
//! of the field's range, is still refused.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

struct Whole;

impl Visitor<'_> for Whole {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Whole and well inside i64: 2^53 is where f64 stops being exact.
        if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

/// A whole number of type `T`, written as an integer or as a float with no
/// fraction.
pub fn integer<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let v = d.deserialize_any(Whole)?;
    T::try_from(v)
        .map_err(|_| de::Error::invalid_value(de::Unexpected::Signed(v), &"a number in range"))
}

/// [`integer`] for an optional field (`null` or absent is `None`).
pub fn opt_integer<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    struct Maybe<T>(std::marker::PhantomData<T>);

    impl<'de, T: TryFrom<i64>> Visitor<'de> for Maybe<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            integer(d).map(Some)
        }
    }

    d.deserialize_option(Maybe(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Probe {
        #[serde(deserialize_with = "super::integer")]
        n: u32,
        #[serde(default, deserialize_with = "super::opt_integer")]
        m: Option<i64>,
    }

    fn probe(json: &str) -> Result<Probe, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        assert_eq!(probe(r#"{"n": 10}"#).unwrap(), Probe { n: 10, m: None });
        assert_eq!(
            probe(r#"{"n": 10.0, "m": -3.0}"#).unwrap(),
            Probe { n: 10, m: Some(-3) }
        );
        assert_eq!(probe(r#"{"n": 1e2, "m": null}"#).unwrap().n, 100);
    }

    #[test]
    fn fractions_ranges_and_other_types_are_refused() {
        assert!(probe(r#"{"n": 10.5}"#).is_err());
        assert!(probe(r#"{"n": -1}"#).is_err(), "u32 has no negatives");
        assert!(probe(r#"{"n": 4294967296}"#).is_err());
        assert!(probe(r#"{"n": "10"}"#).is_err());
        assert!(probe(r#"{"n": 1, "m": 1.5}"#).is_err());
        assert!(probe(r#"{"n": 1e300}"#).is_err());
    }
}
