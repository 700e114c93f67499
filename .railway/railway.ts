// Railway reads THIS file for the Railyard service and its PostgreSQL: since
// 2026-12-01 Railway no longer reads config-as-code files (railway.toml /
// railway.json) for services. Preview with `railway config plan`
// (`--detailed-exit-code` exits 2 when Railway differs), apply with
// `railway config apply`. railway.toml states the same settings for services
// still on config-as-code; Tests/deployment/check_deployment.py keeps the two
// equal. Do not let `railway config migrate` rewrite this file: it writes
// preDeployCommand only as a comment and drops the restart and draining
// settings.
import { defineRailway, postgres, preserve, project, service } from "railway/iac";

export default defineRailway((ctx) => {
  const production = ctx.isEnvironment("production");
  // Longer than RAILYARD_SHUTDOWN_GRACE (20 s in the Dockerfile), so SIGTERM
  // lets a running migration finish or roll back before the container is killed.
  const drainingSeconds = production ? 45 : 30;

  const db = postgres("postgres");

  const railyard = service("railyard", {
    build: {
      builder: "DOCKERFILE",
      dockerfilePath: "Dockerfile",
      watchPatterns: ["Sources/**", "migrations/**", "Package.swift", "Dockerfile", "openapi.yaml", ".railway/**", "railway.toml"],
    },
    // Runs once, in its own container with the service's variables and no
    // volumes, before the new deployment starts; a failure stops the deploy
    // (it is not retried). The start command migrates as well (a no-op when
    // this step ran), so a deploy that lost this setting still migrates first.
    preDeployCommand: ["railyard-server migrate"],
    startCommand: "railyard-server serve --migrate-on-start",
    healthcheck: "/api/health",
    healthcheckTimeout: 300,
    replicas: production ? 2 : 1,
    deploy: {
      restartPolicyType: "ON_FAILURE",
      restartPolicyMaxRetries: production ? 10 : 3,
      drainingSeconds: drainingSeconds,
    },
    env: {
      // The database's private URL (DATABASE_PUBLIC_URL is the public one).
      DATABASE_URL: db.env.DATABASE_URL,
      // Honoured whatever configuration system the service uses.
      RAILWAY_DEPLOYMENT_DRAINING_SECONDS: String(drainingSeconds),
      // Secrets are set (sealed) in the dashboard; apply keeps what is there.
      RAILYARD_ADMIN_TOKEN: preserve(),
      RAILYARD_READ_TOKEN: preserve(),
    },
  });

  return project("flowbooks", {
    resources: [db, railyard],
  });
});
