import Testing
@testable import RailyardCore

@Suite("Control characters shown, not obeyed")
struct ControlCharactersTests {
    @Test func controlsBecomePictures() {
        #expect(ControlCharacters.neutralized("a\u{1B}]0;t\u{07}b\rc\u{7F}d\u{9B}e") == "a␛]0;t␇b␍c␡d\u{FFFD}e")
        #expect(ControlCharacters.neutralized("line\nnext\ttab") == "line\nnext\ttab")
        #expect(ControlCharacters.neutralized("line\nnext", keepingLines: false) == "line␊next")
        #expect(ControlCharacters.neutralized("plain é ✓") == "plain é ✓")
    }

    func json(_ text: String) -> String {
        String(decoding: ControlCharacters.neutralizedJSON(Array(text.utf8)), as: UTF8.self)
    }

    @Test func jsonEscapesOfControlsBecomeEscapesOfPictures() {
        #expect(json(#"{"d":"a\u001b[2Jb\rc\bd\fe"}"#) == #"{"d":"a\u241b[2Jb\u240dc\u2408d\u240ce"}"#)
        #expect(json(#"{"d":"keep\n\t\"\\ \u00e9"}"#) == #"{"d":"keep\n\t\"\\ \u00e9"}"#)
        // An escaped backslash before "u001b" is text, not an escape.
        #expect(json(#"{"d":"\\u001b"}"#) == #"{"d":"\\u001b"}"#)
        // A raw C1 character (UTF-8 C2 9B) inside a string.
        #expect(json("{\"d\":\"a\u{9B}b\"}") == "{\"d\":\"a\u{FFFD}b\"}")
        // Outside strings nothing changes.
        #expect(json(#"[1, true, null, {"k": "v"}]"#) == #"[1, true, null, {"k": "v"}]"#)
    }
}
