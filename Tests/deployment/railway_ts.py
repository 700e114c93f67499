"""Evaluates `.railway/railway.ts` for one Railway environment without Node:
the file is parsed with tree-sitter's TypeScript grammar and its
`defineRailway((ctx) => …)` program is interpreted over the small subset of
TypeScript a configuration file uses (constants, literals, ternaries,
comparisons, `String(…)`), with the SDK's `service`, `postgres`, `project`
and `preserve` modelled after railwayapp/railway-ts-sdk's `src/iac/sdk.ts`.

Anything outside that subset is an error naming the line, so the check
cannot silently pass over a setting it did not understand.
"""
import tree_sitter_typescript
from tree_sitter import Language, Parser

SDK_MODULE = "railway/iac"
LANGUAGE = Language(tree_sitter_typescript.language_typescript())


class ConfigError(Exception):
    def __init__(self, node, message):
        super().__init__(f"railway.ts:{node.start_point[0] + 1}:{node.start_point[1] + 1}: {message}")


class Reference:
    """`db.env.NAME`: a variable of another resource."""

    def __init__(self, resource, output):
        self.resource, self.output = resource, output

    def __eq__(self, other):
        return isinstance(other, Reference) and (self.resource, self.output) == (other.resource, other.output)

    def __repr__(self):
        return f"${{{{{self.resource}.{self.output}}}}}"


PRESERVE = "<preserve>"


def parse(source):
    tree = Parser(LANGUAGE).parse(source)
    if tree.root_node.has_error:
        bad = next(n for n in walk(tree.root_node) if n.type == "ERROR" or n.is_missing)
        raise ConfigError(bad, "not valid TypeScript")
    return tree


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


def imports(tree):
    """The names imported from the SDK's IaC module."""
    names = set()
    for node in tree.root_node.named_children:
        if node.type == "import_statement":
            module = node.child_by_field_name("source").named_children[0].text.decode()
            if module == SDK_MODULE:
                names |= {spec.named_children[0].text.decode() for spec in walk(node) if spec.type == "import_specifier"}
    return names


def program(tree):
    """The arrow function passed to `export default defineRailway(…)`."""
    for node in tree.root_node.named_children:
        if node.type == "export_statement" and node.child(1).type == "default":
            call = node.named_children[-1]
            if call.type == "call_expression" and call.child_by_field_name("function").text == b"defineRailway":
                arrow = call.child_by_field_name("arguments").named_children[0]
                if arrow.type == "arrow_function":
                    return arrow
            raise ConfigError(node, "the default export is not defineRailway((ctx) => …)")
    raise ConfigError(tree.root_node, "no `export default defineRailway(…)`")


def evaluate(source, environment):
    """The project the file describes for `environment`: its name and its
    resources by name, each a dict like the SDK's nodes."""
    tree = parse(source)
    sdk = imports(tree)
    arrow = program(tree)
    parameters = [p for p in walk(arrow.child_by_field_name("parameters")) if p.type == "identifier"]
    scope = {parameters[0].text.decode(): {"environment": environment}} if parameters else {}
    interpreter = Interpreter(sdk, environment)
    body = arrow.child_by_field_name("body")
    if body.type != "statement_block":
        return interpreter.value(body, scope)
    for statement in body.named_children:
        if statement.type == "comment":
            continue
        if statement.type == "lexical_declaration":
            for declarator in statement.named_children:
                name = declarator.child_by_field_name("name").text.decode()
                scope[name] = interpreter.value(declarator.child_by_field_name("value"), scope)
        elif statement.type == "return_statement":
            return interpreter.value(statement.named_children[0], scope)
        else:
            raise ConfigError(statement, f"unsupported statement ({statement.type})")
    raise ConfigError(body, "the program returns nothing")


class Interpreter:
    def __init__(self, sdk, environment):
        self.sdk, self.environment = sdk, environment

    def value(self, node, scope):
        kind = node.type
        if kind == "string":
            return "".join(part.text.decode() for part in node.named_children if part.type in ("string_fragment", "escape_sequence"))
        if kind == "number":
            text = node.text.decode()
            return float(text) if "." in text else int(text)
        if kind in ("true", "false"):
            return kind == "true"
        if kind == "parenthesized_expression":
            return self.value(node.named_children[0], scope)
        if kind == "identifier":
            name = node.text.decode()
            if name not in scope:
                raise ConfigError(node, f"unknown name {name}")
            return scope[name]
        if kind == "array":
            return [self.value(item, scope) for item in node.named_children if item.type != "comment"]
        if kind == "object":
            return self.object(node, scope)
        if kind == "ternary_expression":
            condition = self.value(node.child_by_field_name("condition"), scope)
            branch = "consequence" if condition else "alternative"
            return self.value(node.child_by_field_name(branch), scope)
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator").type
            left = self.value(node.child_by_field_name("left"), scope)
            right = self.value(node.child_by_field_name("right"), scope)
            if operator == "===":
                return left == right
            if operator == "!==":
                return left != right
            raise ConfigError(node, f"unsupported operator {operator}")
        if kind == "member_expression":
            return self.member(node, scope)
        if kind == "call_expression":
            return self.call(node, scope)
        raise ConfigError(node, f"unsupported expression ({kind})")

    def object(self, node, scope):
        result = {}
        for pair in node.named_children:
            if pair.type == "comment":
                continue
            if pair.type == "shorthand_property_identifier":
                name = pair.text.decode()
                result[name] = scope[name]
            elif pair.type == "pair":
                key = pair.child_by_field_name("key")
                name = self.value(key, scope) if key.type == "string" else key.text.decode()
                result[name] = self.value(pair.child_by_field_name("value"), scope)
            else:
                raise ConfigError(pair, f"unsupported property ({pair.type})")
        return result

    def member(self, node, scope):
        target = node.child_by_field_name("object")
        name = node.child_by_field_name("property").text.decode()
        if target.type == "member_expression" and target.child_by_field_name("property").text == b"env":
            resource = self.value(target.child_by_field_name("object"), scope)
            return Reference(resource["name"], name)
        value = self.value(target, scope)
        if isinstance(value, dict) and "environment" in value and name in ("environment", "environmentName"):
            return value["environment"]
        if isinstance(value, dict) and name in value:
            return value[name]
        raise ConfigError(node, f"unsupported member {name}")

    def call(self, node, scope):
        function = node.child_by_field_name("function")
        arguments = [self.value(a, scope) for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        if function.type == "member_expression" and function.child_by_field_name("property").text == b"isEnvironment":
            return self.environment == arguments[0]
        name = function.text.decode()
        if name == "String":
            return str(arguments[0])
        if name not in self.sdk:
            raise ConfigError(node, f"{name} is not imported from {SDK_MODULE}")
        if name == "preserve":
            return PRESERVE
        if name == "postgres":
            return {"type": "database", "engine": "postgres", "name": arguments[0]}
        if name == "service":
            return service_node(arguments[0], arguments[1] if len(arguments) > 1 else {})
        if name == "project":
            return {"name": arguments[0], "resources": {r["name"]: r for r in arguments[1].get("resources", [])}}
        raise ConfigError(node, f"unsupported SDK call {name}")


def service_node(name, config):
    """The SDK's normalizeDeploy/normalizeBuild, for the keys a service uses."""
    deploy = dict(config.get("deploy", {}))
    for key, aliases in {
        "startCommand": ("start", "startCommand"),
        "preDeployCommand": ("preDeploy", "preDeployCommand"),
        "healthcheckPath": ("healthcheck", "healthcheckPath"),
        "healthcheckTimeout": ("healthcheckTimeout",),
        "numReplicas": ("replicas",),
    }.items():
        for alias in aliases:
            if alias in config:
                deploy[key] = config[alias]
                break
    if isinstance(deploy.get("preDeployCommand"), str):
        deploy["preDeployCommand"] = [deploy["preDeployCommand"]]
    return {"type": "service", "name": name, "build": config.get("build", {}), "deploy": deploy,
            "variables": {**config.get("variables", {}), **config.get("env", {})}}
