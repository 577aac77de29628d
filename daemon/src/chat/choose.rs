//! Which bot, model and system prompt a turn uses, as pure functions of what the request,
//! the conversation, the bot and the config say.

/// The bot: the request's, else the conversation's, else the configured default.
pub fn bot(
    requested: Option<&str>,
    conversation: Option<&str>,
    default: Option<&str>,
) -> Option<String> {
    requested.or(conversation).or(default).map(str::to_string)
}

/// What the turn's model comes from, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelSources<'a> {
    /// The request's `model` (blank counts as none).
    pub requested: Option<&'a str>,
    /// The request named a bot (switching bots switches to its model).
    pub bot_named_now: bool,
    pub bot: Option<&'a str>,
    pub conversation: Option<&'a str>,
}

/// The model: the request's; else the bot's when the request names a bot; else the
/// conversation's; else the bot's. `None`: the daemon's default applies.
pub fn model(s: ModelSources<'_>) -> Option<String> {
    let requested = s.requested.filter(|m| !m.trim().is_empty());
    let from_new_bot = s.bot.filter(|_| s.bot_named_now);
    requested
        .or(from_new_bot)
        .or(s.conversation)
        .or(s.bot)
        .map(str::to_string)
}

/// The system prompt: the request's (blank clears it), else the conversation's, else the
/// bot's.
pub fn system(
    requested: Option<&str>,
    conversation: Option<&str>,
    bot: Option<&str>,
) -> Option<String> {
    match requested {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.to_string()),
        None => conversation.or(bot).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_wins_then_the_conversation_then_the_config() {
        assert_eq!(bot(Some("a"), Some("b"), Some("c")).as_deref(), Some("a"));
        assert_eq!(bot(None, Some("b"), Some("c")).as_deref(), Some("b"));
        assert_eq!(bot(None, None, Some("c")).as_deref(), Some("c"));
        assert_eq!(bot(None, None, None), None);
    }

    #[test]
    fn a_bot_named_now_brings_its_model_over_the_conversations() {
        let s = ModelSources {
            requested: None,
            bot_named_now: true,
            bot: Some("qwen"),
            conversation: Some("llama"),
        };
        assert_eq!(model(s).as_deref(), Some("qwen"));
        let kept = ModelSources {
            bot_named_now: false,
            ..s
        };
        assert_eq!(model(kept).as_deref(), Some("llama"));
        let asked = ModelSources {
            requested: Some("phi"),
            ..s
        };
        assert_eq!(model(asked).as_deref(), Some("phi"));
        let blank = ModelSources {
            requested: Some("  "),
            conversation: None,
            bot_named_now: false,
            ..s
        };
        assert_eq!(model(blank).as_deref(), Some("qwen"));
        assert_eq!(model(ModelSources::default()), None);
    }

    #[test]
    fn a_blank_system_prompt_clears_it() {
        assert_eq!(system(Some(""), Some("c"), Some("b")), None);
        assert_eq!(
            system(Some("r"), Some("c"), Some("b")).as_deref(),
            Some("r")
        );
        assert_eq!(system(None, Some("c"), Some("b")).as_deref(), Some("c"));
        assert_eq!(system(None, None, Some("b")).as_deref(), Some("b"));
    }
}
