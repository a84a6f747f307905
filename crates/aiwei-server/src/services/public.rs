//! Residents filing and following matters themselves, shared by
//! the public pages and Open311: the form's anti-spam token, the rate
//! limits, recording a filing with its photos and query code, and the
//! progress view that shows the status and the replies told to the caller,
//! nothing internal.

use aiwei_core::public::{self, FilingRequest, PublicStage};
use aiwei_core::time::local_minute;
use aiwei_core::{AttachmentStage, Channel, ErrorCode, FieldError, FieldErrors, Username};
use aiwei_store::StoreError;
use aiwei_store::matters::{IntakeContext, Matter};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use crate::error::ApiError;
use crate::state::AppState;

/// Filings one address may make in an hour.
pub const FILINGS_PER_HOUR: i64 = 5;
/// Look-ups one address may make in ten minutes.
pub const LOOKUPS_PER_TEN_MINUTES: i64 = 30;
/// Photos per filing, and the size of each.
pub const MAX_PHOTOS: usize = 3;
pub const MAX_PHOTO: usize = 5 * 1024 * 1024;
/// A form sent sooner than this after it was shown is a robot's.
const FASTEST: Duration = Duration::seconds(3);
/// A form older than this is stale.
const OLDEST: Duration = Duration::hours(4);

/// A token for the form shown at `now`: the time, sealed under the key
/// ring, so any instance can check it and nobody can forge an older one.
pub fn form_token(state: &AppState, now: DateTime<Utc>) -> Result<String, ApiError> {
    let (key, sealed) = state
        .store
        .keys()
        .seal(b"public-form", &now.timestamp().to_be_bytes())
        .map_err(ApiError::internal)?;
    Ok(format!(
        "{}.{}",
        hex::encode(key.as_bytes()),
        hex::encode(sealed)
    ))
}

/// Whether a posted form is a person's: its token is genuine, neither
/// too fresh nor stale, and the field people never see is empty.
pub fn check_form(state: &AppState, token: &str, trap: &str) -> Result<(), ApiError> {
    let expired = || ApiError::invalid_field(FieldError::new("form", ErrorCode::FormExpired));
    if !trap.is_empty() {
        return Err(expired());
    }
    let (key, sealed) = token.split_once('.').ok_or_else(expired)?;
    let key = hex::decode(key)
        .ok()
        .and_then(|k| String::from_utf8(k).ok())
        .ok_or_else(expired)?;
    let sealed = hex::decode(sealed).map_err(|_| expired())?;
    let plain = state
        .store
        .keys()
        .open(&key, b"public-form", &sealed)
        .map_err(|_| expired())?;
    let secs = i64::from_be_bytes(plain.try_into().map_err(|_| expired())?);
    let shown = DateTime::from_timestamp(secs, 0).ok_or_else(expired)?;
    let age = state.clock.now() - shown;
    if age < FASTEST || age > OLDEST {
        return Err(expired());
    }
    Ok(())
}

/// Counts a hit of `what` from `ip` and refuses past `limit` a window.
async fn limit(
    state: &AppState,
    what: &str,
    ip: Option<&str>,
    limit: i64,
    window_secs: i64,
) -> Result<(), ApiError> {
    let bucket = format!("{what}:{}", ip.unwrap_or("-"));
    let hits = state
        .store
        .rate_hit(&bucket, window_secs, state.clock.now())
        .await?;
    if hits > limit {
        return Err(ApiError::rate_limited());
    }
    Ok(())
}

/// A photo as uploaded: its name and bytes.
pub struct Photo {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Checks the photos before anything is written: at most three JPEG or PNG
/// images of at most 5 MB each.
pub fn check_photos(photos: &[Photo]) -> Result<(), ApiError> {
    if photos.len() > MAX_PHOTOS {
        return Err(ApiError::invalid_field(FieldError::new(
            "photos",
            ErrorCode::TooManyPhotos,
        )));
    }
    for p in photos {
        let image = matches!(
            aiwei_store::attachments::sniff(&p.bytes),
            Some("image/jpeg" | "image/png")
        );
        if !image || p.bytes.len() > MAX_PHOTO {
            return Err(ApiError::invalid_field(FieldError::new(
                "photos",
                ErrorCode::NotAnImage,
            )));
        }
    }
    Ok(())
}

/// What the resident is told after filing: the number and the query code
/// (shown once; only its hash is kept).
pub struct Filed {
    pub number: String,
    pub code: String,
    pub matter: Matter,
}

/// A new query code and its hash.
pub async fn new_code() -> Result<(String, String), ApiError> {
    let mut random = [0u8; public::CODE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let code = public::query_code(random);
    let hash = crate::auth::hash_password_off_thread(code.clone())
        .await
        .map_err(ApiError::internal)?;
    Ok((code, hash))
}

/// What shows a web form was sent by a person: its sealed token and the
/// field people never see ([`check_form`]).
pub struct FormProof<'a> {
    pub token: &'a str,
    pub trap: &'a str,
}

/// Records a resident's filing by `channel` from `ip`, with its photos;
/// a web form's `proof` is checked once its fields have passed, so a
/// person first learns what to correct.
pub async fn file(
    state: &AppState,
    channel: Channel,
    ip: Option<&str>,
    req: &FilingRequest,
    photos: &[Photo],
    proof: Option<FormProof<'_>>,
) -> Result<Filed, ApiError> {
    let now = state.clock.now();
    // Received at the desk that reviews filings; none yet is the
    // operator's to fix, not the resident's.
    let department =
        state.store.public_department().await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("no intake desk to receive filings"))
        })?;
    // Every refusal of the fields comes before the rate limit counts, so a
    // resident correcting a typo is not locked out.
    let matter = req
        .into_matter(channel, &department, now)
        .map_err(ApiError::invalid)?;
    check_photos(photos)?;
    if let Some(p) = proof {
        check_form(state, p.token, p.trap)?;
    }
    limit(state, "file", ip, FILINGS_PER_HOUR, 3600).await?;
    let (username, display) = match channel {
        Channel::Open311 => ("system-open311", "Open311接口"),
        _ => ("system-web", "网上反映"),
    };
    let username =
        Username::parse(username).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let account = state.store.system_account(&username, display).await?;
    let (code, hash) = new_code().await?;
    let ctx = IntakeContext {
        actor: &account,
        prefix: &state.config.number_prefix,
        now,
    };
    let m = state.store.record_filing(&matter, &ctx, &hash).await?;
    for p in photos {
        // The matter stands; a photo that cannot be stored is logged, not
        // a reason to lose the filing.
        if let Err(e) = state
            .store
            .add_attachment(
                &state.config.attachments_dir,
                m.id,
                account.id,
                AttachmentStage::Before,
                &p.name,
                &p.bytes,
                now,
            )
            .await
        {
            tracing::error!(error = %e, matter = %m.id, "storing a filed photo failed");
        }
    }
    tracing::info!(matter = %m.id, number = %m.number, channel = channel.as_str(), "filing recorded");
    Ok(Filed {
        number: m.number.clone(),
        code,
        matter: m,
    })
}

/// One reply told to the caller.
pub struct PublicReply {
    pub at: String,
    pub label: &'static str,
    pub text: String,
}

/// What a resident sees of their matter.
pub struct Progress {
    pub number: String,
    pub type_label: &'static str,
    pub channel_label: &'static str,
    pub stage: PublicStage,
    pub received: String,
    pub department: Option<String>,
    pub replies: Vec<PublicReply>,
}

/// Opens a matter for a resident who knows its number and query code; a
/// wrong number and a wrong code answer alike (404 `no_such_filing`), and
/// take as long.
pub async fn lookup(
    state: &AppState,
    ip: Option<&str>,
    number: &str,
    code: &str,
) -> Result<Progress, ApiError> {
    limit(state, "lookup", ip, LOOKUPS_PER_TEN_MINUTES, 600).await?;
    let m = match number.trim().to_ascii_uppercase().parse() {
        Ok(n) => match state.store.matter_by_number(&n).await {
            Ok(m) => Some(m),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let hash = match &m {
        Some(m) => state.store.query_code_hash(m.id).await?,
        None => None,
    };
    let typed = public::typed_code(code).unwrap_or_default();
    // Verified against a real hash either way, so a wrong number costs
    // the same time as a wrong code.
    let (hash, real) = match hash {
        Some(h) => (h, true),
        None => (state.dummy_hash.as_ref().clone(), false),
    };
    let ok = crate::auth::verify_password_off_thread(hash, typed)
        .await
        .map_err(ApiError::internal)?;
    match m {
        Some(m) if ok && real => progress(state, m).await,
        _ => Err(ApiError::no_such_filing()),
    }
}

/// What the caller was told about `m`, oldest first: the on-the-spot
/// answer, and the texts of steps that spoke to them
/// ([`public::told_to_caller`]); nothing internal.
pub async fn replies(state: &AppState, m: &Matter) -> Result<Vec<PublicReply>, ApiError> {
    let mut replies = Vec::new();
    if let Some(a) = &m.answer {
        replies.push(PublicReply {
            at: local_minute(m.closed_at.unwrap_or(m.received_at)),
            label: "答复",
            text: a.clone(),
        });
    }
    for e in state.store.events(m.id).await? {
        for (field, text) in &e.texts {
            if public::told_to_caller(e.kind, field) {
                replies.push(PublicReply {
                    at: local_minute(e.at),
                    label: e.kind.label(),
                    text: text.clone(),
                });
            }
        }
    }
    Ok(replies)
}

async fn progress(state: &AppState, m: Matter) -> Result<Progress, ApiError> {
    Ok(Progress {
        replies: replies(state, &m).await?,
        number: m.number.clone(),
        type_label: m.matter_type.label(),
        channel_label: m.channel.label(),
        stage: public::stage(m.status),
        received: local_minute(m.received_at),
        department: m.lead_department_name.clone(),
    })
}

/// The refused fields of a filing, for the form (the resident sees every
/// one at once).
pub fn field_errors(e: &ApiError) -> FieldErrors {
    FieldErrors(e.errors.clone())
}
