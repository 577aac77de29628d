//! Files sent with a chat: checked before anything is stored (the daemon never trusts what a
//! client says a file is), and shown to the model: a text file's text, named, before the
//! message; an image as the backend takes images.

use chinwag_protocol::{Attachment, AttachmentKind, ErrorBody, ErrorCode};

/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 16;
/// The largest image, decoded.
pub const MAX_IMAGE_BYTES: usize = 8 << 20;
/// The longest text file, in bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

fn invalid(msg: String) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidRequest, msg)
}

/// Checks every attachment: its kind has its body, a text is within its cap, an image is
/// base64 of a PNG, JPEG or WebP within its cap, whose declared type and size are its own.
pub fn check(attachments: &[Attachment]) -> Result<(), ErrorBody> {
    use base64::Engine as _;
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(invalid(format!(
            "{} attachments; a message takes at most {MAX_ATTACHMENTS}",
            attachments.len()
        )));
    }
    for a in attachments {
        let name = &a.name;
        if name.is_empty() || name.len() > 512 {
            return Err(invalid(
                "an attachment's name must be 1 to 512 bytes".into(),
            ));
        }
        match a.kind {
            AttachmentKind::Text => {
                let text = a
                    .text
                    .as_deref()
                    .ok_or_else(|| invalid(format!("{name}: a text attachment needs its text")))?;
                if text.len() > MAX_TEXT_BYTES {
                    return Err(ErrorBody::new(
                        ErrorCode::MessageTooLarge,
                        format!(
                            "{name} is {} bytes; a text file may be up to {MAX_TEXT_BYTES}",
                            text.len()
                        ),
                    ));
                }
                if text.contains('\0') {
                    return Err(invalid(format!("{name} is binary, not text")));
                }
            }
            AttachmentKind::Image => {
                let data = a.data.as_deref().ok_or_else(|| {
                    invalid(format!("{name}: an image attachment needs its data"))
                })?;
                if data.len() > MAX_IMAGE_BYTES / 3 * 4 + 4 {
                    return Err(ErrorBody::new(
                        ErrorCode::MessageTooLarge,
                        format!(
                            "{name}: an image may be up to {} MiB",
                            MAX_IMAGE_BYTES >> 20
                        ),
                    ));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|_| invalid(format!("{name}: the image's data is not base64")))?;
                let Some(found) = chinwag_protocol::image_mime(&bytes) else {
                    return Err(invalid(format!("{name} is not a PNG, JPEG or WebP image")));
                };
                if a.mime.as_deref().is_some_and(|m| m != found) {
                    return Err(invalid(format!(
                        "{name} says it is {}, but it is {found}",
                        a.mime.as_deref().unwrap_or("")
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The user's words as the model reads them: each text file first, named and fenced, then
/// the message.
pub fn with_text_files(content: &str, attachments: &[Attachment]) -> String {
    let texts: Vec<&Attachment> = attachments
        .iter()
        .filter(|a| a.kind == AttachmentKind::Text)
        .collect();
    if texts.is_empty() {
        return content.to_string();
    }
    let mut out = String::new();
    for a in texts {
        let text = a.text.as_deref().unwrap_or("");
        // A fence longer than any run of backticks in the file.
        let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        out.push_str(&format!("File {}:\n{fence}\n{text}", a.name));
        if !text.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{fence}\n\n"));
    }
    out.push_str(content);
    out
}

/// The images of a message, base64, as the backends take them.
pub fn images(attachments: &[Attachment]) -> Vec<(String, String)> {
    attachments
        .iter()
        .filter(|a| a.kind == AttachmentKind::Image)
        .filter_map(|a| {
            let data = a.data.clone()?;
            Some((a.mime.clone().unwrap_or_else(|| "image/png".into()), data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn image(mime: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            name: "x".into(),
            kind: AttachmentKind::Image,
            bytes: bytes.len() as u64,
            mime: Some(mime.into()),
            text: None,
            data: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    fn text(name: &str, t: &str) -> Attachment {
        Attachment {
            name: name.into(),
            kind: AttachmentKind::Text,
            bytes: t.len() as u64,
            mime: None,
            text: Some(t.into()),
            data: None,
        }
    }

    #[test]
    fn images_are_what_their_bytes_say_and_texts_are_text() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(check(&[image("image/png", png)]).is_ok());
        assert!(check(&[image("image/webp", b"RIFF\0\0\0\0WEBPVP8 ")]).is_ok());
        let e = check(&[image("image/jpeg", png)]).unwrap_err();
        assert!(e.message.contains("says it is image/jpeg"), "{}", e.message);
        let e = check(&[image("image/png", b"GIF89a")]).unwrap_err();
        assert!(
            e.message.contains("not a PNG, JPEG or WebP"),
            "{}",
            e.message
        );
        let mut bad = image("image/png", png);
        bad.data = Some("not base64!".into());
        assert!(check(&[bad]).is_err());
        assert!(check(&[text("a.bin", "x\0y")]).is_err());
        let many: Vec<Attachment> = (0..=MAX_ATTACHMENTS).map(|_| text("a", "b")).collect();
        assert!(check(&many).is_err());
    }

    #[test]
    fn text_files_come_first_named_and_fenced_beyond_their_own_backticks() {
        let got = with_text_files(
            "review these",
            &[text("a.rs", "fn a() {}"), text("b.md", "```\ncode\n```\n")],
        );
        assert_eq!(
            got,
            "File a.rs:\n```\nfn a() {}\n```\n\nFile b.md:\n````\n```\ncode\n```\n````\n\nreview these"
        );
        assert_eq!(with_text_files("hi", &[]), "hi");
    }
}
