//! The drawing page: HTML, CSS and JavaScript compiled into the binary, so the
//! page works offline and needs nothing from outside (no CDN, no web fonts).

use axum::http::header;
use axum::response::{Html, IntoResponse};

/// The page itself.
pub const INDEX_HTML: &str = include_str!("page/index.html");
/// Its style sheet (system fonts only).
pub const STYLE_CSS: &str = include_str!("page/style.css");
/// Drawing, live prediction and the result panel.
pub const APP_JS: &str = include_str!("page/app.js");

/// `GET /`.
pub async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// `GET /style.css`.
pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
}

/// `GET /app.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files() {
        for text in [INDEX_HTML, STYLE_CSS, APP_JS] {
            assert!(!text.contains("http://"), "external address in the page");
            assert!(!text.contains("https://"), "external address in the page");
            assert!(!text.contains("@import"), "imported style sheet");
        }
        assert!(INDEX_HTML.contains(r#"src="/app.js""#));
        assert!(INDEX_HTML.contains(r#"href="/style.css""#));
    }

    #[test]
    fn the_photo_upload_opens_the_camera_on_a_phone_and_asks_for_a_number() {
        assert!(INDEX_HTML.contains(r#"type="file" accept="image/*" capture"#));
        assert!(INDEX_HTML.contains("Upload a photo"));
        assert!(APP_JS.contains("'/api/predict?number=true'"));
    }

    #[test]
    fn the_page_has_the_controls_the_script_uses() {
        for id in [
            "pad",
            "result",
            "digit",
            "confidence",
            "unsure",
            "error",
            "bars",
            "seen",
            "seen-size",
            "undo",
            "clear",
            "model-info",
            "photo",
            "photo-panel",
            "photo-status",
            "photo-result",
            "photo-view",
            "number",
            "number-unsure",
            "number-digits",
        ] {
            assert!(
                INDEX_HTML.contains(&format!(r#"id="{id}""#)),
                "index.html lacks #{id}"
            );
            assert!(
                APP_JS.contains(&format!("'{id}'")),
                "app.js does not use #{id}"
            );
        }
    }
}
