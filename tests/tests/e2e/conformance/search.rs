//! PROTOCOL.md § search → search_results.

use super::Rig;
use chinwag_tests::wire::{Wire, chat};
use serde_json::{Value, json};

async fn search(w: &mut Wire, query: &str, limit: Option<u64>) -> Value {
    let mut request = json!({"type": "search", "id": "11", "query": query});
    if let Some(l) = limit {
        request["limit"] = json!(l);
    }
    w.call(request).await
}

/// The user messages a search found, sorted.
fn found(results: &Value) -> Vec<String> {
    let mut out: Vec<String> = results["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("hits in {results}"))
        .iter()
        .filter(|h| h["role"] == "user")
        .filter_map(|h| h["snippet"].as_str())
        .map(|s| s.replace(['[', ']'], ""))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_all_match_phrases_are_exact_prefixes_expand_and_operators_are_words() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    for (i, words) in [
        "rayleigh scattering makes a blue sky",
        "the ocean is blue",
        "a scatterplot of the data",
    ]
    .iter()
    .enumerate()
    {
        w.chat(chat(&format!("c{i}"), words)).await;
    }
    let sky = "rayleigh scattering makes a blue sky";
    assert_eq!(found(&search(&mut w, "blue sky", None).await), [sky]);
    assert_eq!(found(&search(&mut w, "\"blue sky\"", None).await), [sky]);
    assert!(found(&search(&mut w, "\"sky blue\"", None).await).is_empty());
    assert_eq!(
        found(&search(&mut w, "scatter*", None).await),
        ["a scatterplot of the data", sky]
    );
    assert!(
        found(&search(&mut w, "blue OR data", None).await).is_empty(),
        "OR is a word to find, not an operator"
    );
    let odd = search(&mut w, "\"unbalanced NEAR(", None).await;
    assert_eq!(odd["type"], "search_results", "{odd}");
    let hit = &search(&mut w, "ocean", None).await["hits"][0];
    for key in ["conversation", "title", "message", "role", "snippet"] {
        assert!(hit[key].is_string(), "{key} in {hit}");
    }
    assert_eq!(hit["snippet"], "the [ocean] is blue");
    assert!(hit["created_at_ms"].is_i64());
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_over_its_caps_is_invalid_and_limit_defaults_to_20() {
    let rig = Rig::start().await;
    let mut w = rig.local().await;
    for i in 0..21 {
        w.chat(chat(&format!("c{i}"), "same words")).await;
    }
    let seventeen = vec!["w"; 17].join(" ");
    let five_prefixes = "a* b* c* d* e*";
    let long = "x".repeat(1025);
    for query in [seventeen.as_str(), five_prefixes, long.as_str()] {
        let answer = search(&mut w, query, None).await;
        assert_eq!(answer["code"], "invalid_request", "{query}: {answer}");
    }
    let sixteen = vec!["same"; 16].join(" ");
    assert_eq!(
        search(&mut w, &sixteen, None).await["type"],
        "search_results"
    );
    let hits = |v: &Value| v["hits"].as_array().map_or(0, Vec::len);
    assert_eq!(hits(&search(&mut w, "same", None).await), 20);
    assert_eq!(hits(&search(&mut w, "same", Some(500)).await), 21);
    assert_eq!(
        search(&mut w, "same", Some(0)).await["code"],
        "invalid_request"
    );
    rig.stop().await;
}
