// The SHA-256 of a file, computed in the browser (Web Crypto) before it is uploaded, so the
// gateway's answer can be checked against what the user picked.

/** The file's SHA-256 as 64 lowercase hex digits; null where the page is not a secure
 * context (plain http to another host than localhost has no `crypto.subtle`). */
export async function sha256Hex(file: Blob): Promise<string | null> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- absent over plain http
  if (crypto.subtle === undefined) return null;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
