//! Starting a chat turn: pick bot, model, system prompt and tools (`choose`), store the turn,
//! build the backend's history (`history`), start the runner.
//!
//! Knows nothing of sockets: a session calls [`start_chat`] and forwards what it returns.

use crate::auth::Identity;
pub mod attachments;
mod choose;
mod history;

pub use history::turn_history;

use crate::backend::Turn;
use crate::config::BotConfig;
use crate::daemon::Daemon;
use crate::generation::{GenEnd, GenJob, Generation, TurnTools, Usage, conclude, run_generation};
use crate::limits::Refused;
use crate::ollama::keep_alive_value;
use crate::store::{NewTurn, TurnIds, TurnOutcome, new_id};
use chinwag_protocol::model_name::normalize_model;
use chinwag_protocol::{
    Attachment, ConversationId, ErrorBody, ErrorCode, GenOptions, MessageId, MessageStatus,
    ModelInfo, StoredMessage,
};
use std::sync::Arc;

/// A chat request as the session received it.
#[derive(Debug, Clone)]
pub struct ChatParams {
    pub conversation: Option<ConversationId>,
    pub bot: Option<String>,
    pub model: Option<String>,
    pub content: String,
    pub options: GenOptions,
    pub idempotency_key: Option<String>,
    pub replace_from: Option<MessageId>,
    /// The tools offered to the model; `None`: the bot's.
    pub tools: Option<Vec<String>>,
    /// Files the client read and sent (checked before anything is stored).
    pub attachments: Vec<Attachment>,
    /// Forget the new conversation once the reply ends.
    pub ephemeral: bool,
}

/// What a session should tell the client.
#[derive(Debug)]
pub enum ChatStart {
    /// A new turn, stored; the generation is running.
    Started {
        turn: TurnIds,
        bot: Option<String>,
        generation: Arc<Generation>,
    },
    /// A resend of a stored turn: its reply is live, or stored (possibly cut).
    Resumed {
        turn: TurnIds,
        live: Option<Arc<Generation>>,
        stored: Option<StoredMessage>,
    },
}

/// Longest idempotency key accepted.
const MAX_KEY_LEN: usize = 200;

fn invalid(msg: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidRequest, msg)
}

/// Validates, stores and starts a chat turn for `owner`.
pub async fn start_chat(
    d: &Arc<Daemon>,
    who: &Identity,
    p: ChatParams,
) -> Result<ChatStart, ErrorBody> {
    let owner = who.owner.as_str();
    if d.shutdown.is_cancelled() {
        return Err(ErrorBody::new(
            ErrorCode::ShuttingDown,
            "the daemon is stopping; send this again once it is back",
        ));
    }
    if p.content.trim().is_empty() {
        return Err(invalid("the message is empty"));
    }
    let max = d.config().max_content_chars;
    let chars = p.content.chars().count();
    if chars > max {
        return Err(ErrorBody::new(
            ErrorCode::MessageTooLarge,
            format!("the message is {chars} characters; this daemon takes up to {max}"),
        ));
    }
    if p.idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_LEN)
    {
        return Err(invalid(format!(
            "idempotency_key must be 1 to {MAX_KEY_LEN} bytes"
        )));
    }
    attachments::check(&p.attachments)?;
    if p.ephemeral && p.conversation.is_some() {
        return Err(invalid(
            "ephemeral starts a new conversation; it cannot go on with one",
        ));
    }
    if p.replace_from.is_some() && p.conversation.is_none() {
        return Err(invalid("replace_from needs the conversation it belongs to"));
    }
    if let Some(t) = &p.options.think
        && !t.is_valid()
    {
        return Err(invalid(
            "think is true, false, or one of \"low\", \"medium\", \"high\", \"max\"",
        ));
    }
    if let Some(raw) = &p.options.keep_alive
        && keep_alive_value(raw).is_none()
    {
        return Err(invalid(format!(
            "keep_alive {raw:?} is not a duration (\"5m\", \"1h\") or whole seconds"
        )));
    }
    // A resend of a stored turn attaches to it, live or stored, before anything is reserved:
    // its reply may still be generating in this very conversation.
    if let Some(key) = &p.idempotency_key
        && let Some(turn) = d
            .store
            .turn_by_key(owner, key, &p.content)
            .await
            .map_err(|e| e.to_body())?
    {
        return resume(d, owner, turn).await;
    }
    // Replies in flight or waiting for a place, for everyone: beyond both, Ollama is not
    // asked to queue more on our behalf.
    let caps = config_caps(d);
    if d.generations.count() >= caps.0 + caps.1 {
        return Err(ErrorBody {
            code: ErrorCode::BackendBusy,
            message: format!(
                "{} replies are being generated or waiting; try again shortly",
                caps.0 + caps.1
            ),
            retry_after_ms: Some(crate::ollama::BUSY_RETRY_MS),
        });
    }
    // A resend above is free; a new message counts against the sender's quota.
    let generating = d.generations.count_for(owner);
    d.limits()
        .admit_chat(owner, who.token.as_deref(), generating)
        .map_err(|r| {
            d.metrics.rate_limited(r.limit());
            refused(r)
        })?;
    let info = match &p.conversation {
        Some(id) => Some(
            d.store
                .conversation(owner, &id.0)
                .await
                .map_err(|e| e.to_body())?,
        ),
        None => None,
    };
    // One snapshot for the whole turn, even if a reload lands meanwhile.
    let config = d.config();
    let conv_bot = info.as_ref().and_then(|i| i.summary.bot.as_deref());
    let bot_name = choose::bot(p.bot.as_deref(), conv_bot, config.default_bot.as_deref());
    let bot =
        match &bot_name {
            Some(name) => Some(config.bots.get(name).ok_or_else(|| {
                invalid(format!("no bot named {name:?}; `chinwag bots` lists them"))
            })?),
            None => None,
        };
    let chosen = choose::model(choose::ModelSources {
        requested: p.model.as_deref(),
        bot_named_now: p.bot.is_some(),
        bot: bot.and_then(|b| b.model.as_deref()),
        conversation: info.as_ref().and_then(|i| i.summary.model.as_deref()),
    });
    let model = match chosen {
        Some(m) => m,
        None => default_model(d, owner).await?,
    };
    // Checked against its backend's list before anything is stored: a typo or a down
    // backend creates no conversation and never becomes "the model you used last".
    let found = d.models.require(&d.backends, &model).await?;
    let model = found.name.clone();
    let routed = d.backends.route(&model);
    let offered = offered_tools(who, &p, bot, &found)?;
    let bot_options = bot.map(|b| b.gen_options()).unwrap_or_default();
    let system = choose::system(
        p.options.system.as_deref(),
        info.as_ref().and_then(|i| i.system.as_deref()),
        bot_options.system.as_deref(),
    );
    let options = GenOptions {
        system: system.clone(),
        ..p.options.clone()
    }
    .or(&bot_options);

    let conversation = info.as_ref().map(|i| i.summary.id.clone());
    let slot = conversation
        .clone()
        .unwrap_or_else(|| ConversationId(new_id()));
    let assistant = MessageId(new_id());
    let generation = d
        .generations
        .start(owner, &slot, &assistant, &model, &d.cut)
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::Conflict,
                "a reply is already being generated in this conversation; wait or cancel it",
            )
        })?;
    let turn = NewTurn {
        owner: owner.to_string(),
        conversation,
        new_conversation: slot,
        user_message: MessageId(new_id()),
        assistant_message: assistant,
        content: p.content,
        model: model.clone(),
        bot: bot_name.clone(),
        system: system.clone(),
        options: p.options.clone(),
        idempotency_key: p.idempotency_key,
        replace_from: p.replace_from,
        attachments: p.attachments,
        ephemeral: p.ephemeral,
    };
    let outcome = d.store.begin_turn(turn).await;
    let turn = match outcome {
        Ok(TurnOutcome::New(turn)) => turn,
        Ok(TurnOutcome::Existing(turn)) => {
            // The same key raced in on another connection.
            d.generations.remove(&generation);
            return resume(d, owner, turn).await;
        }
        Err(e) => {
            d.generations.remove(&generation);
            tracing::warn!(error = %e, "could not store a chat turn");
            return Err(e.to_body());
        }
    };

    let history = d.store.messages(owner, &turn.conversation).await;
    let history = match history {
        Ok(h) => h,
        Err(e) => {
            // The turn is stored; end its reply as an error rather than leave it streaming.
            let body = e.to_body();
            let end = GenEnd {
                status: MessageStatus::Error,
                done_reason: None,
                stats: None,
                error: Some(body.clone()),
            };
            conclude(
                &generation,
                &d.store,
                &d.generations,
                String::new(),
                String::new(),
                end,
            )
            .await;
            return Err(body);
        }
    };
    let grants = if offered.is_empty() {
        Vec::new()
    } else {
        // A grant that cannot be read only means the user is asked again.
        d.store
            .grants(owner, &turn.conversation)
            .await
            .unwrap_or_default()
    };
    let request = Turn {
        model: routed.model.clone(),
        messages: turn_history(system.as_deref(), &history, &turn.assistant_message),
        tools: offered
            .iter()
            .filter_map(|t| crate::tools::spec(t))
            .collect(),
        options: GenOptions {
            system: None,
            ..options
        },
    };
    let tools = TurnTools {
        auto: bot.map(|b| b.auto_approve.clone()).unwrap_or_default(),
        offered,
        grants,
        config: config.tools.clone(),
        command: crate::tools::command::Runner {
            config: config.exec.clone(),
            store: d.store.clone(),
            running: Arc::clone(&d.exec_running),
            owner: owner.to_string(),
            user: who.display.clone(),
            token: who.token.clone(),
        },
    };
    d.metrics.turns.inc();
    let span = tracing::info_span!(
        "gen",
        conversation = %generation.conversation,
        message = %generation.message,
        user = %who.display,
    );
    d.runners.spawn(tracing::Instrument::instrument(
        run_generation(GenJob {
            generation: Arc::clone(&generation),
            request,
            tools,
            ephemeral: p.ephemeral,
            store: d.store.clone(),
            backend: routed.backend.clone(),
            registry: Arc::clone(&d.generations),
            shutdown: d.cut.clone(),
            timeouts: config.timeouts,
            slots: Arc::clone(&d.backend_slots),
            metrics: Arc::clone(&d.metrics),
            usage: Usage {
                limits: d.limits(),
                owner: owner.to_string(),
                token: who.token.clone(),
            },
        }),
        span,
    ));
    Ok(ChatStart::Started {
        turn,
        bot: bot_name,
        generation,
    })
}

/// Replies in flight to the backend at once, and replies that may wait for a place.
fn config_caps(d: &Daemon) -> (usize, usize) {
    let c = d.config();
    (c.max_generations, c.max_queued_generations)
}

/// A refusal by the rate limits, as the client sees it: `rate_limited`, with an honest
/// `retry_after_ms` when waiting helps.
pub(crate) fn refused(r: Refused) -> ErrorBody {
    // Over a rate: the error says why and when the next message is allowed.
    let wait = |why: String, retry_after: std::time::Duration| {
        let ms = retry_after.as_millis().max(1) as u64;
        ErrorBody {
            code: ErrorCode::RateLimited,
            message: format!(
                "{why}: the next message is allowed in {:.1} s",
                ms as f64 / 1000.0
            ),
            retry_after_ms: Some(ms),
        }
    };
    match r {
        Refused::Rate { retry_after } => wait("too many messages".into(), retry_after),
        Refused::Tokens {
            retry_after,
            per_minute,
        } => wait(
            format!("your replies used up {per_minute} output tokens a minute"),
            retry_after,
        ),
        Refused::Concurrency { limit } => ErrorBody::new(
            ErrorCode::RateLimited,
            format!(
                "{limit} of your replies are already being generated; wait for one to finish \
                 or cancel it"
            ),
        ),
    }
}

/// A stored turn, for a resend: its reply live if it is still being generated, else stored.
async fn resume(d: &Daemon, owner: &str, turn: TurnIds) -> Result<ChatStart, ErrorBody> {
    let live = d.generations.by_message(owner, &turn.assistant_message);
    let stored = d
        .store
        .message(owner, &turn.assistant_message)
        .await
        .map_err(|e| e.to_body())?;
    Ok(ChatStart::Resumed { turn, live, stored })
}

/// The tools this turn offers: the request's, else the bot's, to a model that can call
/// them. Every tool reaches the executor's root, so every one needs the exec scope: asked
/// for without it is `forbidden`; a bot's are left out.
fn offered_tools(
    who: &Identity,
    p: &ChatParams,
    bot: Option<&BotConfig>,
    model: &ModelInfo,
) -> Result<Vec<String>, ErrorBody> {
    let mut offered = crate::tools::decide::offered(
        p.tools.as_deref(),
        bot.map(|b| b.tools.as_slice()),
        model.has_tools(),
        &model.name,
    )
    .map_err(invalid)?;
    if !who.scopes.exec && !offered.is_empty() {
        if p.tools.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ErrorBody::new(
                ErrorCode::Forbidden,
                "tools reach the executor's root: they need a token with the exec scope",
            ));
        }
        offered.clear();
    }
    Ok(offered)
}

/// The model a chat without one uses: configured, else last used, else Ollama's newest.
pub async fn default_model(d: &Daemon, owner: &str) -> Result<String, ErrorBody> {
    if let Some(m) = &d.config().default_model {
        return Ok(crate::models::canonical(&d.backends, m));
    }
    if let Ok(Some(m)) = d.store.last_used_model(owner).await {
        return Ok(crate::models::canonical(&d.backends, &m));
    }
    let models = d.models.list_default(&d.backends, false).await?;
    models
        .into_iter()
        .next()
        .map(|m| normalize_model(&m.name))
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::NoModel,
                "Ollama has no models yet — run `ollama pull llama3.2` (or set default_model)",
            )
        })
}

/// The end a stored reply shows to a client that asks about it later.
pub fn stored_end(m: &StoredMessage) -> GenEnd {
    let error = match m.status {
        MessageStatus::Complete | MessageStatus::Cancelled | MessageStatus::Streaming => None,
        // Replies stored before codes were recorded fall back by status.
        MessageStatus::Error => Some(m.error_code.unwrap_or(ErrorCode::BackendError)),
        MessageStatus::Incomplete => Some(m.error_code.unwrap_or(ErrorCode::ShuttingDown)),
    }
    .map(|code| {
        ErrorBody::new(
            code,
            m.error
                .clone()
                .unwrap_or_else(|| "the reply was cut".into()),
        )
    });
    GenEnd {
        status: m.status,
        done_reason: None,
        stats: None,
        error,
    }
}
