//! Open311 GeoReport v2 (the frozen specification at
//! wiki.open311.org/GeoReport_v2): what a request's status is, and how a
//! posted request reads into a filing. Services are the public
//! sub-categories; requests are filed like the public form's, by channel
//! `open311`.

use crate::MatterStatus;
use crate::public::FilingRequest;

/// A request's status in the specification's two words.
pub fn status(s: MatterStatus) -> &'static str {
    match s {
        MatterStatus::Closed => "closed",
        _ => "open",
    }
}

/// A `status` filter of `GET requests`: `Some(true)` for closed requests,
/// `Some(false)` for open ones, `None` for a word the specification does not
/// have.
pub fn closed_filter(raw: &str) -> Option<bool> {
    match raw {
        "open" => Some(false),
        "closed" => Some(true),
        _ => None,
    }
}

/// A `POST requests` body (form-encoded pairs) as a filing: the name from
/// `first_name` and `last_name`, the place from `address_string` or
/// `lat`/`long`; `None` for a coordinate that is no number.
pub fn filing(pairs: &[(String, String)]) -> Result<FilingRequest, &'static str> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let coordinate = |k: &'static str| -> Result<Option<f64>, &'static str> {
        get(k).map(|v| v.parse::<f64>().map_err(|_| k)).transpose()
    };
    let name = [get("last_name"), get("first_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("");
    Ok(FilingRequest {
        matter_type: String::new(),
        name,
        phone: get("phone").unwrap_or_default(),
        content: get("description").unwrap_or_default(),
        address: get("address_string").unwrap_or_default(),
        category: get("service_code"),
        latitude: coordinate("lat")?,
        longitude: coordinate("long")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_request_reads_as_a_filing() {
        let pairs: Vec<(String, String)> = [
            ("service_code", "env.garbage"),
            ("first_name", "明"),
            ("last_name", "李"),
            ("phone", "13800138000"),
            ("description", "垃圾满溢"),
            ("lat", "30.25"),
            ("long", "120.16"),
        ]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
        let f = filing(&pairs).unwrap();
        assert_eq!(f.name, "李明");
        assert_eq!(f.category.as_deref(), Some("env.garbage"));
        assert_eq!((f.latitude, f.longitude), (Some(30.25), Some(120.16)));
        let bad = vec![("lat".to_owned(), "north".to_owned())];
        assert_eq!(filing(&bad).unwrap_err(), "lat");
        assert_eq!(status(MatterStatus::Closed), "closed");
        assert_eq!(status(MatterStatus::Signed), "open");
    }
}
