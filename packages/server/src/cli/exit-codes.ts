/**
 * The `keyway` command's exit codes, one meaning each (BSD sysexits where one fits):
 * 0 done; 1 a failure while running (database unreachable, port busy, a refused change);
 * 2 the command line is wrong (unknown command or option, a missing or invalid value);
 * 78 the configuration is wrong (a bad or unknown environment variable, a missing or wrong master key).
 */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONFIG = 78;
