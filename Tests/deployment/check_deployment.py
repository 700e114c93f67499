#!/usr/bin/env python3
"""Checks the Railway deployment files: `.railway/railway.ts` (what Railway
reads since 2026-12-01) evaluated per environment and compared with
railway.toml, railway.toml against Railway's documented config-as-code keys
and enums, the Dockerfile's stages and run-time packages plus hadolint, and
the GitHub workflow with actionlint.

Run by `make test` (scripts/test-all.sh) with the project's virtualenv.
Prints one line per check and "N passed, M failed" at the end.
"""
import json
import pathlib
import re
import subprocess
import sys
import tomllib

import yaml

import railway_ts

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The environments railway.toml names, and one it does not (a PR environment).
ENVIRONMENTS = ("staging", "production", "pr-42")

# Railway's config-as-code reference: the keys of [build] and [deploy].
BUILD_KEYS = {
    "builder", "watchPatterns", "buildCommand", "dockerfilePath", "railpackVersion",
    "nixpacksConfigPath", "nixpacksPlan", "nixpacksVersion",
}
DEPLOY_KEYS = {
    "startCommand", "preDeployCommand", "numReplicas", "healthcheckPath", "healthcheckTimeout",
    "restartPolicyType", "restartPolicyMaxRetries", "cronSchedule", "sleepApplication", "region",
    "multiRegionConfig", "overlapSeconds", "drainingSeconds", "runtime", "limitOverride",
    "requiredMountPath",
}
BUILDERS = {"RAILPACK", "DOCKERFILE", "NIXPACKS"}
RESTART_POLICIES = {"ON_FAILURE", "ALWAYS", "NEVER"}

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else f": {detail}"))


def check_deploy_section(where, deploy):
    unknown = set(deploy) - DEPLOY_KEYS
    check(f"{where}: only documented keys", not unknown, f"unknown {sorted(unknown)}")
    if "restartPolicyType" in deploy:
        check(f"{where}: restartPolicyType is an upper-case enum", deploy["restartPolicyType"] in RESTART_POLICIES,
              repr(deploy["restartPolicyType"]))
    for key in ("healthcheckTimeout", "restartPolicyMaxRetries", "drainingSeconds", "overlapSeconds", "numReplicas"):
        if key in deploy:
            value = deploy[key]
            check(f"{where}: {key} is a non-negative integer", isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                  repr(value))
    if "preDeployCommand" in deploy:
        value = deploy["preDeployCommand"]
        check(f"{where}: preDeployCommand is a list of strings",
              isinstance(value, list) and all(isinstance(item, str) for item in value), repr(value))


def shutdown_grace():
    return int(re.search(r"RAILYARD_SHUTDOWN_GRACE=(\d+)", (ROOT / "Dockerfile").read_text()).group(1))


def toml_settings(environment):
    """railway.toml's build and deploy settings as Railway applies them in `environment`."""
    config = tomllib.loads((ROOT / "railway.toml").read_text())
    override = config.get("environments", {}).get(environment, {})
    return ({**config.get("build", {}), **override.get("build", {})},
            {**config.get("deploy", {}), **override.get("deploy", {})})


def check_railway_ts():
    path = ROOT / ".railway/railway.ts"
    source = path.read_bytes()
    try:
        tree = railway_ts.parse(source)
        imported = railway_ts.imports(tree)
        railway_ts.program(tree)
        projects = {name: railway_ts.evaluate(source, name) for name in ENVIRONMENTS}
    except railway_ts.ConfigError as error:
        check("railway.ts: evaluates", False, str(error))
        return
    check("railway.ts: parses as TypeScript and exports defineRailway((ctx) => ...)", True)
    check("railway.ts: imports defineRailway, project, service and postgres from railway/iac",
          {"defineRailway", "project", "service", "postgres"} <= imported, sorted(imported))
    check("railway.ts: says it is the file Railway reads", "Railway reads THIS file" in source.decode())
    grace = shutdown_grace()
    start = " ".join(json_cmd())
    for name, project in projects.items():
        resources = project["resources"]
        database = next((r for r in resources.values() if r.get("engine") == "postgres"), None)
        check(f"railway.ts[{name}]: a PostgreSQL database", database is not None)
        service = resources.get("railyard", {})
        check(f"railway.ts[{name}]: a railyard service", service.get("type") == "service")
        deploy, build, variables = service.get("deploy", {}), service.get("build", {}), service.get("variables", {})
        check(f"railway.ts[{name}]: builds with the Dockerfile",
              build.get("builder") == "DOCKERFILE" and (ROOT / build.get("dockerfilePath", "-")).is_file(), build)
        check(f"railway.ts[{name}]: pre-deploy is railyard-server migrate",
              deploy.get("preDeployCommand") == ["railyard-server migrate"], deploy.get("preDeployCommand"))
        check(f"railway.ts[{name}]: start command is the image's default command ({start})",
              deploy.get("startCommand") == start, deploy.get("startCommand"))
        check(f"railway.ts[{name}]: health check /api/health", deploy.get("healthcheckPath") == "/api/health")
        check(f"railway.ts[{name}]: restarts on failure", deploy.get("restartPolicyType") == "ON_FAILURE")
        draining = deploy.get("drainingSeconds", 0)
        check(f"railway.ts[{name}]: drainingSeconds ({draining}) outlasts the shutdown grace ({grace} s)", draining > grace)
        check(f"railway.ts[{name}]: RAILWAY_DEPLOYMENT_DRAINING_SECONDS equals drainingSeconds",
              variables.get("RAILWAY_DEPLOYMENT_DRAINING_SECONDS") == str(draining),
              variables.get("RAILWAY_DEPLOYMENT_DRAINING_SECONDS"))
        check(f"railway.ts[{name}]: DATABASE_URL references the database's private URL",
              database is not None and variables.get("DATABASE_URL") == railway_ts.Reference(database["name"], "DATABASE_URL"),
              variables.get("DATABASE_URL"))
        toml_build, toml_deploy = toml_settings(name)
        check(f"railway.ts[{name}]: build settings equal railway.toml's", build == toml_build, f"{build} != {toml_build}")
        differing = {key for key in set(deploy) | set(toml_deploy) if deploy.get(key) != toml_deploy.get(key)}
        check(f"railway.ts[{name}]: deploy settings equal railway.toml's", not differing,
              {key: (deploy.get(key), toml_deploy.get(key)) for key in sorted(differing)})
    check("railway.ts: staging and production differ through ctx",
          projects["staging"] != projects["production"])


def json_cmd():
    """The runtime stage's CMD, in its JSON (exec) form."""
    final = dockerfile_stages((ROOT / "Dockerfile").read_text())[-1]
    commands = [line for line in final["lines"] if line.startswith("CMD ")]
    return json.loads(commands[-1][4:]) if commands else []


def check_railway_toml():
    config = tomllib.loads((ROOT / "railway.toml").read_text())
    check("railway.toml: says which file Railway reads", ".railway/railway.ts" in (ROOT / "railway.toml").read_text())
    unknown = set(config) - {"$schema", "build", "deploy", "environments"}
    check("railway.toml: only build, deploy and environments at the top", not unknown, f"unknown {sorted(unknown)}")
    build = config.get("build", {})
    check("build: only documented keys", not (set(build) - BUILD_KEYS), f"unknown {sorted(set(build) - BUILD_KEYS)}")
    check('build: builder = "DOCKERFILE"', build.get("builder") == "DOCKERFILE", repr(build.get("builder")))
    check("build: builder is an upper-case enum", build.get("builder") in BUILDERS)
    check("build: the Dockerfile path exists", (ROOT / build.get("dockerfilePath", "Dockerfile")).is_file())
    deploy = config.get("deploy", {})
    check_deploy_section("deploy", deploy)
    check('deploy: preDeployCommand = ["railyard-server migrate"]', deploy.get("preDeployCommand") == ["railyard-server migrate"])
    check("deploy: startCommand serves the API", deploy.get("startCommand", "").startswith("railyard-server serve"))
    check('deploy: healthcheckPath = "/api/health"', deploy.get("healthcheckPath") == "/api/health")
    check("deploy: healthcheckTimeout is set", isinstance(deploy.get("healthcheckTimeout"), int))
    check('deploy: restartPolicyType = "ON_FAILURE"', deploy.get("restartPolicyType") == "ON_FAILURE")
    check("deploy: restartPolicyMaxRetries is set", isinstance(deploy.get("restartPolicyMaxRetries"), int))
    grace = shutdown_grace()
    environments = config.get("environments", {})
    for name in ("staging", "production"):
        section = environments.get(name, {})
        check(f"environments.{name}: has a deploy override", isinstance(section.get("deploy"), dict))
        check(f"environments.{name}: only build/deploy", not (set(section) - {"build", "deploy"}))
        check_deploy_section(f"environments.{name}.deploy", section.get("deploy", {}))
        draining = section.get("deploy", {}).get("drainingSeconds", deploy.get("drainingSeconds", 0))
        check(f"environments.{name}: drainingSeconds ({draining}) outlasts the shutdown grace ({grace} s)", draining > grace)


def dockerfile_stages(text):
    stages = []
    for line in text.splitlines():
        match = re.match(r"\s*FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            stages.append({"image": match.group(1), "name": match.group(2), "lines": []})
        elif stages:
            stages[-1]["lines"].append(line)
    return stages


def check_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    stages = dockerfile_stages(text)
    check("Dockerfile: multi-stage", len(stages) >= 2, f"{len(stages)} stage(s)")
    check("Dockerfile: builds in a Swift 6.3 image", stages and stages[0]["image"].startswith("swift:6.3"), stages and stages[0]["image"])
    final = stages[-1] if stages else {"image": "", "lines": []}
    body = "\n".join(final["lines"])
    check("Dockerfile: slim runtime image", "slim" in final["image"], final["image"])
    for package in ("libpq5", "libcurl4"):
        check(f"Dockerfile: runtime installs {package}", re.search(rf"\b{package}\b", body) is not None)
    check("Dockerfile: runtime has no compiler toolchain", "swift" not in final["image"])
    for binary in ("railyard-server", "railyard"):
        check(f"Dockerfile: runtime gets {binary}", re.search(rf"COPY --from=\S+\s.*/out/{re.escape(binary)}(\s|$)", body, re.MULTILINE) is not None)
    check("Dockerfile: runtime gets migrations/", re.search(r"^COPY\b.*\bmigrations\b", body, re.MULTILINE) is not None)
    users = re.findall(r"^USER\s+(\S+)", body, re.MULTILINE)
    check("Dockerfile: runs as a non-root user", users and users[-1] not in ("root", "0"), users)
    check("Dockerfile: binds :: and reads PORT", "HOST=::" in body and "PORT=" in body)
    mounts = re.findall(r"--mount=type=cache[^\s]*", text)
    check("Dockerfile: no cache mount without an id (Railway rejects them)", all("id=" in mount for mount in mounts), mounts)
    check("Dockerfile: the default command migrates before serving",
          json_cmd() == ["railyard-server", "serve", "--migrate-on-start"], json_cmd())


def check_hadolint(hadolint):
    """hadolint finds nothing; every rule the Dockerfile silences has a comment
    above the ignore saying why."""
    path = ROOT / "Dockerfile"
    result = subprocess.run([hadolint, "--no-color", str(path)], capture_output=True, text=True)
    check("Dockerfile: hadolint is clean", result.returncode == 0, result.stdout + result.stderr)
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            rules = line.split("=", 1)[1].split(",")
            above = "\n".join(lines[max(0, number - 3):number])
            check(f"Dockerfile:{number + 1}: ignoring {','.join(rules)} is explained",
                  all(rule in above for rule in rules), above)


def check_workflow(actionlint):
    path = ROOT / ".github/workflows/railway-deploy.yml"
    workflow = yaml.safe_load(path.read_text())
    jobs = workflow.get("jobs", {})
    test = jobs.get("test", {})
    check("workflow: test job in a Swift container", str(test.get("container", "")).startswith("swift:6.3"))
    check("workflow: test job has a PostgreSQL service", "postgres" in test.get("services", {}))
    check("workflow: test job runs make test", any(step.get("run", "").strip() == "make test" for step in test.get("steps", [])))
    check("workflow: test job checks that .railway/railway.ts and railway.toml agree",
          any("Tests/deployment/check_deployment.py" in step.get("run", "") for step in test.get("steps", [])))
    check("workflow: test job verifies the migrations on its PostgreSQL service",
          any("railyard-server verify" in step.get("run", "") and "RAILYARD_SHADOW_DATABASE_URL" in str(step.get("env", {}))
              for step in test.get("steps", [])))
    deploy = jobs.get("deploy", {})
    runs = "\n".join(step.get("run", "") for step in deploy.get("steps", []))
    check("workflow: deploy needs the tests", deploy.get("needs") == "test")
    check("workflow: deploy only on pushes", "push" in str(deploy.get("if", "")))
    check("workflow: deploys with railway up --service", re.search(r"railway up --service", runs) is not None)
    check("workflow: no --detach (a failed pre-deploy fails the job)", "--detach" not in runs and " -d" not in runs)
    check("workflow: RAILWAY_TOKEN from secrets", "secrets.RAILWAY_TOKEN" in str(deploy.get("env", {})))
    on = workflow.get(True, workflow.get("on", {}))
    check("workflow: main and staging pushes", set(on.get("push", {}).get("branches", [])) >= {"main", "staging"})
    check("workflow: staging branch to the staging environment", "'staging'" in str(deploy.get("environment", "")))
    result = subprocess.run([actionlint, str(path)], capture_output=True, text=True)
    check("workflow: actionlint is clean", result.returncode == 0, result.stdout + result.stderr)


def main():
    actionlint = sys.argv[1] if len(sys.argv) > 1 else "actionlint"
    hadolint = sys.argv[2] if len(sys.argv) > 2 else "hadolint"
    check_railway_ts()
    check_railway_toml()
    check_dockerfile()
    check_hadolint(hadolint)
    check_workflow(actionlint)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
