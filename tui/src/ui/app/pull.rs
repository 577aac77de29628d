//! `/pull NAME` on the chat screen: Ollama downloads a model through the daemon, its
//! progress in the notice line; a `model_not_found` suggests it.

use super::{App, Req};
use crate::ui::event::{Effect, Notice};
use chinwag_protocol::ClientMsg;

impl App {
    /// `/pull NAME` (the model asked for when none is named).
    pub(super) fn pull(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let name = match arg.trim() {
            "" => self.model.clone().or_else(|| self.active_model.clone()),
            n => Some(n.to_string()),
        };
        let Some(model) = name else {
            self.notice = Some(Notice::warn(
                "/pull takes a model's name, e.g. /pull qwen2.5",
            ));
            return;
        };
        self.notice = Some(Notice::info(format!("pulling {model}…")));
        self.send(fx, Req::Pull, |id| ClientMsg::Pull { id, model });
    }

    /// A `pull_progress` frame: the step, and for a layer its bar.
    pub(super) fn pull_progress(
        &mut self,
        model: &str,
        status: &str,
        total: Option<u64>,
        completed: Option<u64>,
    ) {
        let line = crate::pull::progress_line(status, total, completed);
        self.notice = Some(Notice::info(format!("{model}: {line}")));
    }

    /// `pulled`: the model is there; the picker's list is fetched again.
    pub(super) fn pulled(&mut self, model: &str, fx: &mut Vec<Effect>) {
        self.notice = Some(Notice::info(format!(
            "pulled {model}; /model {model} to use it"
        )));
        self.send(fx, Req::Models, |id| ClientMsg::ListModels { id });
    }
}
