//! The daemon itself: models (and pulling one), bots, status, reload, shutdown.

use super::super::outbox::Session;
use crate::chat::default_model;
use chinwag_protocol::{
    ClientMsg, ErrorBody, ErrorCode, OllamaStatus, PROTOCOL_VERSION, ServerMsg, StatusReply,
    UserLimits,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Runs a request of this family (the dispatcher routes only these here).
pub(super) async fn run(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let d = &s.d;
    let owner = s.peer.owner.as_str();
    match msg {
        ClientMsg::ListModels { id } => {
            let (mut models, backends) = d.models.list_all(&d.backends).await?;
            // Which are in memory now: asked each time (it changes by the minute); an Ollama
            // that cannot say only leaves them unmarked.
            let (mut ours, theirs): (Vec<_>, Vec<_>) = std::mem::take(&mut models)
                .into_iter()
                .partition(|m| d.backends.route(&m.name).name.is_none());
            d.models.with_contexts(&d.ollama, &mut ours).await;
            models = ours.into_iter().chain(theirs).collect();
            if let Ok(loaded) = d.ollama.loaded().await {
                for m in &mut models {
                    m.loaded = loaded
                        .iter()
                        .find(|(name, _)| chinwag_protocol::model_name::same_model(name, &m.name))
                        .map(|(_, l)| l.clone());
                }
            }
            let default_model = default_model(d, owner).await.ok();
            s.send(ServerMsg::Models {
                id,
                models,
                default_model,
                backends,
            })
            .await;
        }
        ClientMsg::Pull { id, model } => pull(s, id, model).await?,
        ClientMsg::ListGenerations { id } => {
            let items = s.d.generations.list_for(&s.peer.owner);
            s.send(ServerMsg::Generations { id, items }).await;
        }
        ClientMsg::ListBots { id } => {
            let config = d.config();
            let bots = config.bots.iter().map(|(name, b)| b.info(name)).collect();
            s.send(ServerMsg::Bots {
                id,
                bots,
                default_bot: config.default_bot.clone(),
            })
            .await;
        }
        ClientMsg::Reload { id } => {
            let report = crate::reload::reload(d).map_err(|why| {
                ErrorBody::new(
                    ErrorCode::InvalidRequest,
                    format!("the new config is refused and the old one stays: {why}"),
                )
            })?;
            s.send(ServerMsg::Reloaded {
                id,
                changed: report.changed,
                needs_restart: report.needs_restart,
            })
            .await;
        }
        ClientMsg::Shutdown { id } => {
            tracing::info!(user = %s.peer.display, "shutdown asked by a client");
            s.send(ServerMsg::Ok { id }).await;
            d.shutdown.cancel();
        }
        ClientMsg::Status { id } => {
            let (reachable, version, error) = match d.ollama.version().await {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e.to_body().message)),
            };
            let backends = futures_util::future::join_all(d.backends.named.iter().map(
                |(name, b)| async move {
                    let (kind, url) = b.describe();
                    let probe = b.probe().await;
                    chinwag_protocol::BackendStatus {
                        name: name.clone(),
                        kind: kind.into(),
                        url,
                        reachable: probe.is_ok(),
                        error: probe.err().map(|e| e.to_body().message),
                    }
                },
            ))
            .await;
            let default_model = if reachable {
                default_model(d, owner).await.ok()
            } else {
                d.config().default_model.clone()
            };
            s.send(ServerMsg::Status(StatusReply {
                id,
                version: env!("CARGO_PKG_VERSION").into(),
                protocol: PROTOCOL_VERSION,
                pid: std::process::id(),
                uptime_ms: d.uptime_ms(),
                listening: d.listening(),
                store_path: d.store.path().display().to_string(),
                user: s.peer.display.clone(),
                ollama: OllamaStatus {
                    url: d.ollama.base_url().to_string(),
                    reachable,
                    version,
                    error,
                },
                default_model,
                active_generations: d.generations.count() as u64,
                connections: d.connections.load(Ordering::Relaxed),
                limits: Some({
                    let token = s.peer.token.as_deref();
                    let limits = d.limits();
                    let c = limits.config_for(owner, token);
                    UserLimits {
                        messages_per_minute: c.messages_per_minute,
                        burst: c.burst,
                        concurrent_generations: c.concurrent_generations,
                        messages_left: limits.messages_left(owner, token),
                        generating: u32::try_from(d.generations.count_for(owner))
                            .unwrap_or(u32::MAX),
                        output_tokens_per_minute: c.output_tokens_per_minute,
                        output_tokens_left: limits.output_tokens_left(owner, token),
                    }
                }),
                backends,
            }))
            .await;
        }
        // Routed elsewhere by the dispatcher.
        _ => {}
    }
    Ok(())
}

/// `pull`: Ollama downloads the model; its progress is relayed (a line whose status changed
/// at once, byte counts at most every 100 ms), then `pulled`.
async fn pull(s: &Arc<Session>, id: String, model: String) -> Result<(), ErrorBody> {
    let d = &s.d;
    let routed = d.backends.route(&model);
    if let Some(name) = routed.name {
        return Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            format!("pull fetches Ollama's models; {name} is another backend"),
        ));
    }
    if model.trim().is_empty() {
        return Err(ErrorBody::new(
            ErrorCode::InvalidRequest,
            "name a model to pull",
        ));
    }
    let name = chinwag_protocol::model_name::normalize_model(model.trim());
    let not_found = |message: &str| {
        ErrorBody::new(
            ErrorCode::ModelNotFound,
            format!("Ollama cannot pull {name}: {message}"),
        )
    };
    let mut stream = d.ollama.pull(&name).await.map_err(|e| e.to_body())?;
    let mut last: Option<(String, std::time::Instant)> = None;
    // A download may take long, but Ollama tells its progress often: silence for as long as
    // a reply may go without a token is a stalled pull.
    let stall = d.config().timeouts.between_tokens;
    loop {
        let Ok(next) = tokio::time::timeout(stall, stream.next()).await else {
            return Err(ErrorBody::new(
                ErrorCode::BackendTimeout,
                format!(
                    "Ollama sent no progress on pulling {name} for {} s; it may go on there",
                    stall.as_secs()
                ),
            ));
        };
        let p = match next {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(crate::ollama::OllamaError::MidStream { message })
                if message.contains("file does not exist") =>
            {
                return Err(not_found(&message));
            }
            Err(e) => return Err(e.to_body()),
        };
        if p.status == "success" {
            break;
        }
        let due = match &last {
            Some((status, at)) => *status != p.status || at.elapsed().as_millis() >= 100,
            None => true,
        };
        if !due {
            continue;
        }
        last = Some((p.status.clone(), std::time::Instant::now()));
        let sent = s
            .send(ServerMsg::PullProgress {
                id: id.clone(),
                model: name.clone(),
                status: p.status,
                digest: p.digest,
                total: p.total,
                completed: p.completed,
            })
            .await;
        if !sent {
            return Ok(());
        }
    }
    // The new model is found from the next chat on.
    let _ = d.models.list_default(&d.backends, true).await;
    s.send(ServerMsg::Pulled { id, model: name }).await;
    Ok(())
}
