/**
 * `POST /me/sign-out` with a plain `fetch`: the first screen signs every other session out after a password
 * reset, and must not load the API client and its schemas to do it (they come with the chat's chunk).
 * Resolves once the server has ended every session; a sign-in after it gets tokens that work.
 */
export async function signOutEverywhere(httpApiUrl: string, accessToken: string): Promise<void> {
  const response = await fetch(`${httpApiUrl}/me/sign-out`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  if (!response.ok) throw new Error(`Signing out everywhere answered ${response.status}`);
}
