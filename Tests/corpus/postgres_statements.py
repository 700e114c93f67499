#!/usr/bin/env python3
"""PostgreSQL's own statement boundaries for SQL files, as a reference for
Railyard's splitter: PostgreSQL's scanner and parser through pglast
(libpg_query), no Railyard code involved.

For each file it prints one JSON line: {"file", "statements": [[start,
end], ...]} with the UTF-8 byte offsets of each statement's first token
and the end of its last token (comments excluded), or {"file", "error"}
when PostgreSQL's scanner rejects the file (with --psql CONNINFO:
{"file", "psql": [[start, end], ...]}, the spans of the queries psql sends,
each ending after its semicolon).

- A file the parser accepts is split by the parser.
- A file with syntax errors (the regression suite has many on purpose) is
  cut at the semicolons the scanner sees outside parentheses; runs of
  pieces are then rejoined where only the run parses as one statement
  (`BEGIN ATOMIC … END` bodies), so the parser still decides the grouping.
- COPY … FROM STDIN/STDOUT data (up to a line `\\.`) is not SQL: it is
  blanked before scanning, as psql sends it as data. The COPY itself ends
  at its semicolon; the rest of that line is SQL.

Usage: postgres_statements.py FILE...
"""
import json
import sys

import pglast
from pglast import parser

MAX_JOIN = 60


def tokens(text):
    return [t for t in parser.scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]


def blank(text, start, end):
    return text[:start] + "".join(c if c in "\n\r" else " " for c in text[start:end]) + text[end:]


def copy_data_end(text, semicolon):
    """Where the data after a COPY ending at `semicolon` ends (after the
    line `\\.`), and where it starts, or None when the file ends first."""
    start = text.find("\n", semicolon)
    if start < 0:
        return None
    start += 1
    position = start
    while position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        if text[position:line_end].rstrip("\r") == "\\.":
            return start, min(line_end + 1, len(text))
        position = line_end + 1
    return None


def reads_copy_data(statement_tokens):
    if not statement_tokens or statement_tokens[0].name != "COPY":
        return False
    depth = 0
    for previous, token in zip(statement_tokens, statement_tokens[1:]):
        depth += token.name == "ASCII_40"
        depth -= token.name == "ASCII_41"
        if depth == 0 and previous.name == "FROM" and token.name in ("STDIN", "STDOUT"):
            return True
    return False


class Scanned:
    """The text with COPY data blanked, and its tokens."""

    def __init__(self, text):
        self.text = text
        done = 0
        while True:
            try:
                found = tokens(self.text)
                failure = None
            except parser.ParseError as error:
                failure = error.args[1] if len(error.args) > 1 else len(self.text)
                found = tokens(self.text[:failure])
            blanked = self.blank_first_copy(found, after=done)
            if blanked is None:
                if failure is not None:
                    raise parser.ParseError(f"scanner error at {failure}", failure)
                self.tokens = found
                return
            done = blanked

    def blank_first_copy(self, found, after):
        statement = []
        for token in found:
            if token.name == "ASCII_59":
                if token.start >= after and reads_copy_data(statement):
                    region = copy_data_end(self.text, token.start)
                    if region:
                        self.text = blank(self.text, *region)
                        return region[1]
                statement = []
            else:
                statement.append(token)
        return None


def pieces(scanned):
    """Token runs between top-level semicolons."""
    runs, current, depth = [], [], 0
    for token in scanned.tokens:
        if token.name == "ASCII_40":
            depth += 1
        elif token.name == "ASCII_41":
            depth = max(0, depth - 1)
        if token.name == "ASCII_59" and depth == 0:
            if current:
                runs.append(current)
            current, depth = [], 0
        else:
            current.append(token)
    if current:
        runs.append(current)
    return runs


def parses_as_one(text):
    try:
        return len(pglast.parse_sql(text)) == 1
    except parser.ParseError:
        return False


def statements(text):
    scanned = Scanned(text)
    runs = pieces(scanned)
    span = lambda first, last: (first[0].start, last[-1].end + 1)  # noqa: E731
    try:
        pglast.parse_sql(scanned.text)
        whole = True
    except parser.ParseError:
        whole = False
    if whole:
        result = []
        for part in pglast.split(scanned.text, with_parser=True, only_slices=True):
            inside = [t for t in scanned.tokens if part.start <= t.start < part.stop and t.name != "ASCII_59"]
            if inside:
                result.append((inside[0].start, inside[-1].end + 1))
        return result
    result, index = [], 0
    while index < len(runs):
        chosen = index
        if not parses_as_one(scanned.text[slice(*span(runs[index], runs[index]))]):
            for last in range(index + 1, min(len(runs), index + MAX_JOIN)):
                if parses_as_one(scanned.text[slice(*span(runs[index], runs[last]))]):
                    chosen = last
                    break
        result.append(span(runs[index], runs[chosen]))
        index = chosen + 1
    return result


def byte_offsets(text):
    offsets, total = [], 0
    for character in text:
        offsets.append(total)
        total += len(character.encode("utf-8"))
    offsets.append(total)
    return offsets


def psql_queries(path, conninfo):
    """The queries psql sends for `path` (its -L log), as byte spans of the
    file: psql itself decides where each statement ends. It runs the file
    in a scratch database that is dropped afterwards."""
    import subprocess
    import tempfile
    database = f"railyard_corpus_{abs(hash(path)) % 10**8}"
    admin = ["psql", conninfo, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    subprocess.run(admin + [f"DROP DATABASE IF EXISTS {database}"], check=True, capture_output=True)
    subprocess.run(admin + [f"CREATE DATABASE {database}"], check=True, capture_output=True)
    try:
        with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
            subprocess.run(["psql", f"{conninfo} dbname={database}", "-X", "-q", "-L", log.name, "-f", path],
                           capture_output=True, timeout=300)
            logged = log.read()
    finally:
        subprocess.run(admin + [f"DROP DATABASE IF EXISTS {database}"], capture_output=True)
    text = open(path, encoding="utf-8", newline="").read()
    offsets = byte_offsets(text)
    spans, position = [], 0
    marker, closing = "********* QUERY **********\n", "\n**************************\n"
    for block in logged.split(marker)[1:]:
        query = block.split(closing)[0]
        found = text.find(query, position)
        if found < 0:
            raise ValueError(f"psql sent a query that is not in the file: {query[:80]!r}")
        spans.append([offsets[found], offsets[found + len(query)]])
        position = found + len(query)
    return spans


def main(arguments):
    """FILE... [--psql CONNINFO]: files PostgreSQL's scanner rejects are
    judged by what psql sends instead (a "psql" list of query spans)."""
    conninfo = None
    if "--psql" in arguments:
        index = arguments.index("--psql")
        conninfo = arguments[index + 1]
        arguments = arguments[:index] + arguments[index + 2:]
    for path in arguments:
        text = open(path, encoding="utf-8", newline="").read()
        try:
            found = statements(text)
        except parser.ParseError as error:
            if conninfo:
                print(json.dumps({"file": path, "psql": psql_queries(path, conninfo)}))
            else:
                print(json.dumps({"file": path, "error": str(error)}))
            continue
        offsets = byte_offsets(text)
        print(json.dumps({"file": path, "statements": [[offsets[a], offsets[b]] for a, b in found]}))


if __name__ == "__main__":
    main(sys.argv[1:])
