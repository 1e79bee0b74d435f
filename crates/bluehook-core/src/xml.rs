//! The XML answers of the BBB hooks API, byte for byte as bbb-webhooks sends them: one line,
//! no declaration, `Content-Type: text/xml; charset=utf-8`, HTTP 200 even for failures.
//!
//! Deviation: bbb-webhooks escapes nothing, so a `]]>` in a callback URL or a `<` in an event
//! list made its `hooks/list` answer malformed; Bluehook keeps such text well-formed.

use crate::hook::Hook;

/// The `Content-Type` of every XML answer.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// A failure's `messageKey` with its fixed message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Checksum missing or wrong.
    ChecksumError,
    /// `hooks/create` without `callbackURL`.
    MissingParamCallbackUrl,
    /// The hook could not be created.
    CreateHookError,
    /// `hooks/destroy` without `hookID`.
    MissingParamHookId,
    /// Unknown hook, or a permanent one.
    DestroyMissingHook,
    /// The hook could not be removed.
    DestroyHookError,
    /// The hooks could not be listed.
    ListHookError,
}

impl Failure {
    /// The `messageKey`.
    pub fn key(self) -> &'static str {
        match self {
            Failure::ChecksumError => "checksumError",
            Failure::MissingParamCallbackUrl => "missingParamCallbackURL",
            Failure::CreateHookError => "createHookError",
            Failure::MissingParamHookId => "missingParamHookID",
            Failure::DestroyMissingHook => "destroyMissingHook",
            Failure::DestroyHookError => "destroyHookError",
            Failure::ListHookError => "listHookError",
        }
    }

    /// The `message` text.
    pub fn message(self) -> &'static str {
        match self {
            Failure::ChecksumError => "You did not pass the checksum security check.",
            Failure::MissingParamCallbackUrl => "You must specify a callbackURL in the parameters.",
            Failure::CreateHookError => {
                "An error happened while creating your hook. Check the logs."
            }
            Failure::MissingParamHookId => "You must specify a hookID in the parameters.",
            Failure::DestroyMissingHook => "The hook informed was not found.",
            Failure::DestroyHookError => {
                "An error happened while removing your hook. Check the logs."
            }
            Failure::ListHookError => {
                "An error happened while listing registered hooks. Check the logs."
            }
        }
    }

    /// The whole answer.
    pub fn xml(self) -> String {
        format!(
            "<response><returncode>FAILED</returncode><messageKey>{}</messageKey><message>{}</message></response>",
            self.key(),
            self.message()
        )
    }
}

/// `hooks/create` succeeded.
pub fn create_success(hook: &Hook) -> String {
    format!(
        "<response><returncode>SUCCESS</returncode><hookID>{}</hookID><permanentHook>{}</permanentHook><rawData>{}</rawData></response>",
        text(&hook.id),
        hook.permanent,
        text(&hook.raw_data)
    )
}

/// `hooks/create` for a URL that already has a hook.
pub fn create_duplicate(existing_id: &str) -> String {
    format!(
        "<response><returncode>SUCCESS</returncode><hookID>{}</hookID><messageKey>duplicateWarning</messageKey><message>There is already a hook for this callback URL.</message></response>",
        text(existing_id)
    )
}

/// `hooks/destroy` succeeded.
pub fn destroy_success() -> &'static str {
    "<response><returncode>SUCCESS</returncode><removed>true</removed></response>"
}

/// `hooks/list`.
pub fn list<'a>(hooks: impl IntoIterator<Item = &'a Hook>) -> String {
    let mut s = String::from("<response><returncode>SUCCESS</returncode><hooks>");
    for hook in hooks {
        s.push_str("<hook><hookID>");
        s.push_str(&text(&hook.id));
        s.push_str("</hookID><callbackURL>");
        s.push_str(&cdata(&hook.callback_url));
        s.push_str("</callbackURL>");
        if let Some(meeting) = &hook.meeting_id {
            s.push_str("<meetingID>");
            s.push_str(&cdata(meeting));
            s.push_str("</meetingID>");
        }
        if let Some(events) = &hook.event_ids {
            s.push_str("<eventID>");
            s.push_str(&text(&events.join(",")));
            s.push_str("</eventID>");
        }
        s.push_str("<permanentHook>");
        s.push_str(if hook.permanent { "true" } else { "false" });
        s.push_str("</permanentHook><rawData>");
        s.push_str(&text(&hook.raw_data));
        s.push_str("</rawData></hook>");
    }
    s.push_str("</hooks></response>");
    s
}

/// Text content: escaped only where it would break the document.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['<', '&', '>']) {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .into()
    } else {
        s.into()
    }
}

/// A CDATA section; a `]]>` inside is split across two sections.
fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(id: &str, url: &str) -> Hook {
        Hook::new(id.into(), url.into())
    }

    #[test]
    fn failure_answers() {
        assert_eq!(
            Failure::ChecksumError.xml(),
            "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>You did not pass the checksum security check.</message></response>"
        );
        assert_eq!(
            Failure::DestroyMissingHook.xml(),
            "<response><returncode>FAILED</returncode><messageKey>destroyMissingHook</messageKey><message>The hook informed was not found.</message></response>"
        );
    }

    #[test]
    fn create_answers() {
        let h = hook("0b5c", "http://h/cb");
        assert_eq!(
            create_success(&h),
            "<response><returncode>SUCCESS</returncode><hookID>0b5c</hookID><permanentHook>false</permanentHook><rawData>false</rawData></response>"
        );
        assert_eq!(
            create_duplicate("0b5c"),
            "<response><returncode>SUCCESS</returncode><hookID>0b5c</hookID><messageKey>duplicateWarning</messageKey><message>There is already a hook for this callback URL.</message></response>"
        );
    }

    #[test]
    fn list_answer() {
        let mut scoped = hook("2", "http://h/b");
        scoped.meeting_id = Some("m1".into());
        scoped.event_ids = Some(vec!["user-joined".into(), "meeting-created".into()]);
        scoped.permanent = true;
        scoped.get_raw = true;
        scoped.raw_data = "true".into();
        let hooks = [hook("1", "http://h/a?x=1&y=2"), scoped];
        assert_eq!(
            list(&hooks),
            "<response><returncode>SUCCESS</returncode><hooks><hook><hookID>1</hookID><callbackURL><![CDATA[http://h/a?x=1&y=2]]></callbackURL><permanentHook>false</permanentHook><rawData>false</rawData></hook><hook><hookID>2</hookID><callbackURL><![CDATA[http://h/b]]></callbackURL><meetingID><![CDATA[m1]]></meetingID><eventID>user-joined,meeting-created</eventID><permanentHook>true</permanentHook><rawData>true</rawData></hook></hooks></response>"
        );
        assert_eq!(
            list(&[]),
            "<response><returncode>SUCCESS</returncode><hooks></hooks></response>"
        );
    }

    #[test]
    fn odd_text_stays_well_formed() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(text("<x&>"), "&lt;x&amp;&gt;");
    }
}
