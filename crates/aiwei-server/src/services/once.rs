//! Intake and steps under an `Idempotency-Key`: a retry of a request whose
//! answer was lost gets the matter the first attempt made or moved, and
//! writes nothing; the same key with another request is refused (422).
//! See `aiwei_store::idempotency`.

use aiwei_core::ErrorCode;
use aiwei_core::handling::ActionRequest;
use aiwei_core::intake::IntakeRequest;
use aiwei_store::idempotency::Idempotency;
use aiwei_store::matters::{IntakeContext, Matter};
use aiwei_store::users::User;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The key of one attempt: what it is for (`scope`) and a digest of the
/// request as the server read it, so that the same request sent with other
/// spacing or field order is still the same.
fn attempt(
    user: &User,
    key: Option<String>,
    scope: String,
    request: &impl Serialize,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let body = serde_json::to_vec(request).map_err(ApiError::internal)?;
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update([0]);
    h.update(&body);
    Ok(Some(Idempotency {
        user: user.id,
        key,
        scope,
        request_sha256: hex::encode(h.finalize()),
    }))
}

/// Runs `write` once per key: an earlier attempt's matter when there was
/// one, else the write, which claims the key in its transaction. A racing
/// attempt that claimed it first is found once it commits.
async fn once<F>(
    state: &AppState,
    idem: Option<Idempotency>,
    write: impl FnOnce(Option<Idempotency>) -> F,
) -> Result<(Matter, bool), ApiError>
where
    F: std::future::Future<Output = Result<Matter, ApiError>>,
{
    let Some(idem) = idem else {
        return Ok((write(None).await?, false));
    };
    if let Some(r) = state.store.idempotent_replay(&idem).await? {
        return Ok((state.store.matter(r.matter).await?, true));
    }
    match write(Some(idem.clone())).await {
        Err(e) if e.code == ErrorCode::IdempotencyInProgress => {
            // The racing attempt may share a commit still to come.
            state.store.settle_writes().await;
            match state.store.idempotent_replay(&idem).await? {
                Some(r) => Ok((state.store.matter(r.matter).await?, true)),
                None => Err(e),
            }
        }
        other => other.map(|m| (m, false)),
    }
}

/// Records a matter (the caller checked the intake permission through its
/// type); `true` when it is an earlier attempt's, replayed.
pub async fn record(
    state: &AppState,
    user: &User,
    req: &IntakeRequest,
    key: Option<String>,
) -> Result<(Matter, bool), ApiError> {
    let now = state.clock.now();
    // A call the exchange reported: its measured seconds, not typed ones
    // and the time it was answered unless another was given.
    let call = crate::services::telephony::call_for_intake(state, req.call_id.as_deref()).await?;
    let measured;
    let req = match call {
        Some((_, seconds, answered))
            if req
                .channel
                .as_deref()
                .and_then(aiwei_core::Channel::from_code)
                == Some(aiwei_core::Channel::Phone) =>
        {
            measured = IntakeRequest {
                ring_seconds: Some(i64::from(seconds)),
                received_at: req.received_at.or(Some(answered)),
                ..req.clone()
            };
            &measured
        }
        _ => req,
    };
    let new = req.validate_desk(now).map_err(ApiError::invalid)?;
    let idem = attempt(user, key, "new_matter".to_owned(), req)?;
    once(state, idem, |idem| async move {
        let ctx = IntakeContext {
            actor: user,
            prefix: &state.config.number_prefix,
            now,
        };
        let m = state
            .store
            .record_intake_once(&new, &ctx, idem.as_ref())
            .await?;
        tracing::info!(matter = %m.id, number = %m.number, "matter recorded");
        if let Some((call, ..)) = call
            && let Err(e) = state.store.attach_call(call, m.id.0).await
        {
            // Another matter took the call at the same moment: this one
            // keeps its measured seconds.
            tracing::warn!(error = %e, matter = %m.id, "call already taken");
        }
        Ok(m)
    })
    .await
}

/// Takes one step on `m` as `user`; `true` when an earlier attempt's step is
/// replayed.
pub async fn step(
    state: &AppState,
    user: &User,
    m: &Matter,
    req: &ActionRequest,
    key: Option<String>,
) -> Result<(Matter, bool), ApiError> {
    let now = state.clock.now();
    let step = req.validate(now).map_err(ApiError::invalid)?;
    let idem = attempt(user, key, format!("step:{}", m.id), req)?;
    once(state, idem, |idem| async move {
        Ok(state
            .store
            .apply_step_once(m.id, user, &step, idem.as_ref(), now)
            .await?)
    })
    .await
}
