//! Suggestions while intake types (issue 10): the sub-category and the lead
//! department the office's own history points to, with their confidence.
//! Training and evaluation are [`aiwei_core::suggest`]'s; here the models
//! are trained from the store's history, kept in the store (so every app
//! instance and the command line share them), held in memory, refreshed
//! when a newer one is stored, and retrained on a schedule.

use std::sync::{Arc, RwLock};

use aiwei_core::suggest::{Evaluation, Model, Params, evaluate};
use aiwei_store::Store;
use aiwei_store::suggest::Target;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// The most matters a model learns from: the newest, so that it follows how
/// the office classifies now and training stays bounded.
pub const HISTORY: i64 = 200_000;

/// The share of history evaluation holds out, the newest.
pub const HOLDOUT: f64 = 0.1;

/// How many suggestions of each kind are shown, and the least confidence
/// worth showing.
const SHOWN: usize = 3;
const MIN_CONFIDENCE: f64 = 0.15;

/// Both trained models.
#[derive(Debug)]
pub struct Models {
    pub category: Model<String>,
    pub department: Model<String>,
    pub trained_at: DateTime<Utc>,
}

/// The models in memory, shared by the handlers of one app instance.
#[derive(Debug, Clone, Default)]
pub struct SuggestCache(Arc<RwLock<Option<Arc<Models>>>>);

impl SuggestCache {
    pub fn get(&self) -> Option<Arc<Models>> {
        // A poisoned lock only means a panic elsewhere mid-write of an Arc:
        // the value is still whole.
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set(&self, m: Models) {
        let mut g = match self.0.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *g = Some(Arc::new(m));
    }
}

async fn history(store: &Store, target: Target) -> Result<Vec<(String, String)>, ApiError> {
    Ok(store.suggest_history(target, HISTORY).await?)
}

/// Trains both models from the history and stores them; returns how many
/// matters each learned from.
pub async fn train(store: &Store, now: DateTime<Utc>) -> Result<(usize, usize), ApiError> {
    let mut counts = Vec::new();
    for target in Target::ALL {
        let examples = history(store, target).await?;
        let n = examples.len();
        // Training is CPU work of a second or two at full history: off the
        // async workers.
        let json = tokio::task::spawn_blocking(move || {
            serde_json::to_string(&Model::train(&examples, &Params::default()))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        store
            .save_suggest_model(target, &json, i64::try_from(n).unwrap_or(i64::MAX), now)
            .await?;
        counts.push(n);
    }
    Ok((counts[0], counts[1]))
}

/// Both stored models, if both were trained.
pub async fn load(store: &Store) -> Result<Option<Models>, ApiError> {
    let (Some(c), Some(d)) = (
        store.suggest_model(Target::Category).await?,
        store.suggest_model(Target::Department).await?,
    ) else {
        return Ok(None);
    };
    let parse =
        |json: String| serde_json::from_str::<Model<String>>(&json).map_err(ApiError::internal);
    Ok(Some(Models {
        trained_at: c.trained_at.min(d.trained_at),
        category: parse(c.json)?,
        department: parse(d.json)?,
    }))
}

/// Accuracy on the newest tenth of history, held out from training.
pub async fn evaluate_history(store: &Store) -> Result<Vec<(Target, Evaluation)>, ApiError> {
    let mut out = Vec::new();
    for target in Target::ALL {
        let examples = history(store, target).await?;
        let e =
            tokio::task::spawn_blocking(move || evaluate(&examples, HOLDOUT, &Params::default()))
                .await
                .map_err(ApiError::internal)?;
        out.push((target, e));
    }
    Ok(out)
}

/// The models this instance should use: the cached ones, reloaded when the
/// store holds newer ones (trained by the command line or another
/// instance).
async fn current(state: &AppState) -> Result<Option<Arc<Models>>, ApiError> {
    let stored = state.store.suggest_trained_at(Target::Category).await?;
    let cached = state.suggest.get();
    match (stored, &cached) {
        (None, _) => Ok(None),
        (Some(at), Some(m)) if at <= m.trained_at => Ok(cached),
        (Some(_), _) => {
            if let Some(m) = load(&state.store).await? {
                state.suggest.set(m);
            }
            Ok(state.suggest.get())
        }
    }
}

/// Retrains the models now and then: at start when none are stored or
/// they are older than `every`, and each `every` after.
pub async fn run_trainer(state: AppState, every: std::time::Duration) {
    loop {
        let due = match state.store.suggest_trained_at(Target::Category).await {
            Ok(None) => true,
            Ok(Some(at)) => {
                let age = state.clock.now() - at;
                age.to_std().is_ok_and(|a| a >= every)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the suggestion models");
                false
            }
        };
        if due {
            match train(&state.store, state.clock.now()).await {
                Ok((c, d)) => {
                    tracing::info!(categories = c, departments = d, "suggestion models trained")
                }
                Err(e) => tracing::warn!(error = %e.code, "training the suggestion models failed"),
            }
        }
        tokio::time::sleep(every.min(std::time::Duration::from_secs(3600))).await;
    }
}

/// What intake typed so far.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    /// The content as typed so far; at most 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub text: Option<String>,
    /// The matter type chosen, if any: only its sub-categories are
    /// suggested.
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<aiwei_core::MatterType>)]
    pub matter_type: Option<String>,
}

/// One suggestion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggested {
    /// A sub-category or department code.
    pub code: String,
    pub name: String,
    /// The model's probability, 0 to 1.
    pub confidence: f64,
}

impl Suggested {
    /// `85%`; never `100%`, which a suggestion is not.
    pub fn percent(&self) -> String {
        let p = (self.confidence * 100.0).floor().clamp(1.0, 99.0);
        format!("{p:.0}%")
    }
}

/// The suggestions for a text, best first; empty before any model is
/// trained or when nothing known is in the text.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SuggestionList {
    pub categories: Vec<Suggested>,
    pub departments: Vec<Suggested>,
    /// When the models were trained.
    pub trained_at: Option<DateTime<Utc>>,
}

/// The suggestions for what intake typed.
pub async fn suggest(state: &AppState, req: &SuggestRequest) -> Result<SuggestionList, ApiError> {
    let text = aiwei_core::error::bounded_text(
        "text",
        req.text.as_deref(),
        aiwei_core::intake::MAX_TEXT,
        false,
    )
    .map_err(ApiError::invalid_field)?
    .unwrap_or_default();
    let ty = match req.matter_type.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(aiwei_core::MatterType::parse(t).map_err(ApiError::invalid_field)?),
        None => None,
    };
    let Some(models) = current(state).await? else {
        return Ok(SuggestionList::default());
    };
    let categories: Vec<_> = state
        .store
        .list_categories()
        .await?
        .into_iter()
        .filter(|c| ty.is_none_or(|t| c.matter_type == t))
        .collect();
    let departments = state.store.list_departments().await?;
    let pick = |model: &Model<String>, name: &dyn Fn(&str) -> Option<String>| {
        // Every label ranked, then those that may be offered (of the type
        // chosen; not since removed) kept.
        model
            .predict(&text, usize::MAX)
            .into_iter()
            .filter(|s| s.confidence >= MIN_CONFIDENCE)
            .filter_map(|s| {
                name(&s.label).map(|n| Suggested {
                    code: s.label,
                    name: n,
                    confidence: s.confidence,
                })
            })
            .take(SHOWN)
            .collect::<Vec<_>>()
    };
    Ok(SuggestionList {
        categories: pick(&models.category, &|code| {
            categories
                .iter()
                .find(|c| c.code == code)
                .map(|c| c.name.clone())
        }),
        departments: pick(&models.department, &|code| {
            departments
                .iter()
                .find(|d| d.code == code)
                .map(|d| d.name.clone())
        }),
        trained_at: Some(models.trained_at),
    })
}
