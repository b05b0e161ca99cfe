export const USAGE = `Usage: keyway <command> [options]

Commands:
  quickstart [--tenant <id>] [--store <name>] [--origin <url>]... [--page <file>]
                         set up (or reuse) a tenant, a store, a localhost relying party, default
                         policies, self-service and the journey templates; print the hosted URLs,
                         an admin-token recipe and a page of your own (written to <file> with --page).
                         Defaults: --tenant acme --store customers --origin http://localhost:3000
  serve                  start the server (API, hosted pages, docs) on $PORT (default 8080)
  migrate                bring the database schema up to date and exit
  init --tenant <id> [--name <name>]
                         create the tenant if absent and a new admin API client;
                         prints {"tenant","clientId","clientSecret","consoleEnrollmentUrl"} (the
                         secret is shown once; the link enrols the console's first owner, once, 24 h)
  console invite --tenant <id> --role owner|admin|support|viewer
                         print {"url"}: a one-time link (24 h) that enrols a console operator
  journeys install-templates --tenant <id> [--store <name>] [--relying-party <rpId>]
           [--registration-policy <name>] [--authentication-policy <name>]
                         install (create or update and publish) the built-in journey templates
                         and their custom forms; each option defaults to the tenant's only one
  keys generate-master   print a new random master key (for KEYWAY_MASTER_KEY or a key file)
  keys rotate-master --new-key-file <path>
                         re-wrap every stored secret's data key under the master key in <path>
                         (created, mode 0600, if absent) in one transaction; the current key is
                         the configured one. Stop Keyway first, then start it with the new key.
  help, --help           this text;  --version  the version

Configuration comes from environment variables (PORT, KEYWAY_DATABASE_URL, …; see the README).

Exit codes: 0 done, 1 failed while running, 2 wrong command line, 78 wrong configuration.`;
