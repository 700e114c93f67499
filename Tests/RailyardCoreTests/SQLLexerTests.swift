import Testing
@testable import RailyardCore

/// The texts of the statements the lexer finds in `sql`.
func split(_ sql: String) throws -> [String] {
    let source = SourceText(sql)
    return try SQLLexer.lex(source).statements.map { source.text($0.range) }
}

@Suite("SQL lexer: statement splitting")
struct SQLLexerTests {
    @Test func splitsOnSemicolons() throws {
        #expect(try split("SELECT 1; SELECT 2;\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"])
    }

    @Test func ignoresEmptyStatementsAndComments() throws {
        #expect(try split(";;  -- only a comment\n/* block */ ;") == [])
    }

    @Test func keepsSemicolonsInsideStandardStrings() throws {
        #expect(try split("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 1") ==
                ["INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 1"])
    }

    @Test func backslashIsLiteralInStandardStrings() throws {
        // standard_conforming_strings: 'C:\' ends at the second quote.
        #expect(try split(#"SELECT 'C:\'; SELECT 2"#) == [#"SELECT 'C:\'"#, "SELECT 2"])
    }

    @Test func escapeStringsHonourBackslashes() throws {
        #expect(try split(#"SELECT E'it\'s; here'; SELECT e'\\'; SELECT 3"#) ==
                [#"SELECT E'it\'s; here'"#, #"SELECT e'\\'"#, "SELECT 3"])
    }

    @Test func escapeStringPrefixOnlyAtTokenStart() throws {
        // `name'…'` is not an E-string: the word is "name".
        #expect(try split(#"SELECT name'x\'; SELECT 2"#) == [#"SELECT name'x\'"#, "SELECT 2"])
    }

    @Test func unicodeAndBitAndHexStrings() throws {
        #expect(try split(#"SELECT U&'d\0061t;a', B'10;1', X'1F;', N'n;'; SELECT 2"#) ==
                [#"SELECT U&'d\0061t;a', B'10;1', X'1F;', N'n;'"#, "SELECT 2"])
    }

    @Test func quotedIdentifiers() throws {
        #expect(try split(#"CREATE TABLE "we;ird ""name""" (id int); SELECT U&"a;b""#) ==
                [#"CREATE TABLE "we;ird ""name""" (id int)"#, #"SELECT U&"a;b""#])
    }

    @Test func dollarQuotes() throws {
        let body = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$
            BEGIN
              PERFORM 'x;'; -- ; here
              RETURN $$nested; $$ IS NOT NULL;
            END;
            $fn$;
            SELECT 2
            """
        let statements = try split(body)
        #expect(statements.count == 2)
        #expect(statements[0].hasSuffix("$fn$"))
        #expect(statements[1] == "SELECT 2")
    }

    @Test func dollarInsideIdentifierIsNotAQuote() throws {
        #expect(try split("SELECT a$b$c FROM t; SELECT $1; SELECT 2") == ["SELECT a$b$c FROM t", "SELECT $1", "SELECT 2"])
    }

    @Test func dollarTagsMustMatchExactly() throws {
        #expect(try split("SELECT $a$ x $b$ ; $a$; SELECT 2") == ["SELECT $a$ x $b$ ; $a$", "SELECT 2"])
    }

    @Test func nestedBlockComments() throws {
        #expect(try split("SELECT /* a /* b; */ c; */ 1; SELECT 2") == ["SELECT /* a /* b; */ c; */ 1", "SELECT 2"])
    }

    @Test func lineCommentsHideSemicolonsAndQuotes() throws {
        #expect(try split("SELECT 1 -- it's; not the end\n + 1; SELECT 2") == ["SELECT 1 -- it's; not the end\n + 1", "SELECT 2"])
    }

    @Test func operatorsDoNotSwallowComments() throws {
        #expect(try split("SELECT 1+-- comment;\n2; SELECT 3") == ["SELECT 1+-- comment;\n2", "SELECT 3"])
        #expect(try split("SELECT 2*/* c; */3; SELECT 4") == ["SELECT 2*/* c; */3", "SELECT 4"])
    }

    @Test func semicolonsInsideParenthesesDoNotSplit() throws {
        let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2)); SELECT 1"
        #expect(try split(rule).count == 2)
    }

    @Test func beginAtomicBodies() throws {
        let sql = """
            CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN a > 0 THEN a ELSE 0 END + b;
              SELECT 1;
            END;
            CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;
            SELECT 3
            """
        let statements = try split(sql)
        #expect(statements.count == 3)
        #expect(statements[0].hasSuffix("END"))
        #expect(statements[1] == "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END")
        #expect(statements[2] == "SELECT 3")
    }

    @Test func plainBeginIsAStatement() throws {
        #expect(try split("BEGIN; CREATE TABLE t (id int); COMMIT;") == ["BEGIN", "CREATE TABLE t (id int)", "COMMIT"])
    }

    @Test func copyFromStdinData() throws {
        let sql = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'quote\n\\.\nSELECT 2;"
        let source = SourceText(sql)
        let statements = try SQLLexer.lex(source).statements
        #expect(statements.count == 2)
        #expect(source.text(statements[0].range) == "COPY t (a, b) FROM stdin")
        #expect(statements[0].copyData.map(source.text) == "1\tx;y\n2\t'quote\n")
        #expect(source.text(statements[1].range) == "SELECT 2")
    }

    @Test func copyToStdoutHasNoData() throws {
        let statements = try SQLLexer.statements(in: "COPY t TO stdout; SELECT 1")
        #expect(statements.count == 2)
        #expect(statements[0].copyData == nil)
    }

    @Test func copyWithCRLFTerminator() throws {
        let sql = "COPY t FROM STDIN;\r\n1\r\n\\.\r\nSELECT 2;"
        let statements = try SQLLexer.statements(in: sql)
        #expect(statements.count == 2)
    }

    @Test func lineCommentEndsAtALoneCarriageReturn() throws {
        // PostgreSQL: `--` ends at CR as at LF, so the second SELECT runs.
        #expect(try split("SELECT 1; -- c\rSELECT 2;") == ["SELECT 1", "SELECT 2"])
        #expect(try split("SELECT 1 -- c\r+ 1;") == ["SELECT 1 -- c\r+ 1"])
        #expect(try split("-- a\r-- b\rSELECT 3") == ["SELECT 3"])
    }

    @Test func sqlAfterCopyOnTheSameLineRunsAfterTheData() throws {
        let sql = "COPY t FROM stdin; SELECT 42; -- c\n1\tx\n\\.\nSELECT 3;"
        let source = SourceText(sql)
        let statements = try SQLLexer.lex(source).statements
        #expect(statements.map { source.text($0.range) } == ["COPY t FROM stdin", "SELECT 42", "SELECT 3"])
        #expect(statements[0].copyData.map(source.text) == "1\tx\n")
        #expect(statements[1].copyData == nil)
    }

    @Test func copyFromStdoutReadsDataLikeStdin() throws {
        // gram.y's copy_file_name takes STDIN and STDOUT alike: both are copy-in.
        let sql = "COPY t FROM STDOUT;\nSELECT not sql;\n\\.\nSELECT 2;"
        let source = SourceText(sql)
        let statements = try SQLLexer.lex(source).statements
        #expect(statements.map { source.text($0.range) } == ["COPY t FROM STDOUT", "SELECT 2"])
        #expect(statements[0].copyData.map(source.text) == "SELECT not sql;\n")
    }

    @Test func copyQueryToStdoutHasNoData() throws {
        #expect(try split("COPY (SELECT 1) TO STDOUT; SELECT 2") == ["COPY (SELECT 1) TO STDOUT", "SELECT 2"])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try split("\u{FEFF}SELECT 1;") == ["SELECT 1"])
    }

    @Test func wordsAreUpperCasedTokens() throws {
        let statement = try #require(try SQLLexer.statements(in: "create Index concurrently idx on t (a)").first)
        #expect(statement.starts(with: "CREATE", "INDEX", "CONCURRENTLY"))
        #expect(statement.tokens.last?.kind == .rightParen)
    }

    @Test func statementRangesPointIntoTheSource() throws {
        let sql = "  -- lead\n  SELECT 'é';\n\n  SELECT 2"
        let source = SourceText(sql)
        let statements = try SQLLexer.lex(source).statements
        #expect(source.location(ofByte: statements[0].range.lowerBound) == SourceLocation(line: 2, column: 3))
        #expect(source.location(ofByte: statements[1].range.lowerBound) == SourceLocation(line: 4, column: 3))
    }

    @Test(arguments: [
        ("SELECT 'abc", SQLSyntaxError.Kind.unterminatedString, 7),
        ("SELECT E'abc\\'", .unterminatedString, 7),
        ("SELECT \"abc", .unterminatedQuotedIdentifier, 7),
        ("SELECT $x$ abc $y$", .unterminatedDollarQuote, 7),
        ("SELECT 1 /* a /* b */", .unterminatedBlockComment, 9),
        ("COPY t FROM stdin;\n1\n2\n", .unterminatedCopyData, 0),
        ("SELECT 1;\u{0}", .nulByte, 9),
    ])
    func unterminatedConstructsAreErrors(sql: String, kind: SQLSyntaxError.Kind, offset: Int) {
        #expect(throws: SQLSyntaxError(kind, at: offset)) { try SQLLexer.statements(in: sql) }
    }
}
