//! `/pull` on the chat screen, and what a missing model suggests.

use super::*;

#[test]
fn slash_pull_shows_its_progress_and_refreshes_the_models() {
    let mut a = app();
    connect(&mut a);
    type_text(&mut a, "/pull qwen2.5");
    let fx = key(&mut a, KeyCode::Enter);
    let id = match sent(&fx).as_slice() {
        [ClientMsg::Pull { id, model }] => {
            assert_eq!(model, "qwen2.5");
            id.clone()
        }
        other => panic!("expected a pull, got {other:?}"),
    };
    a.update(Event::Server(ServerMsg::PullProgress {
        id: id.clone(),
        model: "qwen2.5:latest".into(),
        status: "pulling dde5aa3fc5ff".into(),
        digest: None,
        total: Some(200),
        completed: Some(100),
    }));
    let notice = a
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("50%"), "{notice}");
    let fx = a.update(Event::Server(ServerMsg::Pulled {
        id,
        model: "qwen2.5:latest".into(),
    }));
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMsg::ListModels { .. })),
        "the models are fetched again"
    );
    let notice = a
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("pulled qwen2.5:latest"), "{notice}");
}

#[test]
fn a_missing_model_suggests_pulling_it() {
    let a = app();
    let text = a.explain(
        ErrorCode::ModelNotFound,
        "model 'llama3.2:latest' not found",
    );
    assert!(text.contains("/pull llama3.2"), "{text}");
}

#[test]
fn enter_on_a_model_the_picker_does_not_have_pulls_it() {
    let mut a = app();
    connect(&mut a);
    a.overlay = Some(Overlay::Picker(overlay::Picker::new(
        overlay::PickKind::Model,
        vec![overlay::PickItem {
            label: "llama3.2:latest".into(),
            detail: String::new(),
            value: "llama3.2:latest".into(),
        }],
    )));
    type_text(&mut a, "qwen2.5");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMsg::Pull { model, .. } if model == "qwen2.5")),
        "{fx:?}"
    );
    assert!(a.overlay.is_none());
}
