/**
 * Which secrets are too short to be masked everywhere in output: a secret under 8 characters
 * could be an ordinary word, so report/redact.ts masks it only where it stands as a credential,
 * and credentials/transport-safety.ts warns about it. Kept here, with the credentials, so that
 * report/ depends on credentials/ and not the other way round.
 */
export const SAFE_SECRET_LENGTH = 8;

export function isShortSecret(secret: string): boolean {
  return [...secret].length < SAFE_SECRET_LENGTH;
}
