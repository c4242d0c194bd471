// People and API key administration of one's own institution (admins): each call answers
// what it made (shown this once) or, under maker-checker, the draft that holds it; the
// draft's maker reads what it made once after approval (POST /v1/drafts/{id}/reveal).
import { api, type Draft, type Schemas } from "../../api/client";
import { must } from "../../api/problems";

export type User = Schemas["UserOut"];
export type ApiKey = Schemas["ApiKeyOut"];
export type Role = Schemas["UserIn"]["roles"][number];
export const ROLES: Role[] = ["admin", "maker", "checker", "viewer"];

/** Secrets to show this once (any of them). */
export interface Secrets {
  temporary_password?: string | null;
  totp_secret?: string | null;
  otpauth_uri?: string | null;
  api_key?: string | null;
}

export type Made = { kind: "made"; secrets: Secrets; user?: User } | { kind: "drafted"; draft: Draft };

function isDraft(body: object): body is Draft {
  return "object" in body;
}

function made(body: Schemas["UserSecretsOut"] | Draft): Made {
  return isDraft(body) ? { kind: "drafted", draft: body } : { kind: "made", secrets: body, user: body.user };
}

export async function createUser(body: Schemas["UserIn"]): Promise<Made> {
  return made(must(await api.POST("/v1/users", { body })));
}

export async function updateUser(id: string, body: Schemas["UserPatchIn"]): Promise<Made> {
  return made(must(await api.PATCH("/v1/users/{user_id}", { params: { path: { user_id: id } }, body })));
}

export async function resetPassword(id: string): Promise<Made> {
  return made(must(await api.POST("/v1/users/{user_id}/password-reset", { params: { path: { user_id: id } } })));
}

export async function resetSecondFactor(id: string): Promise<Made> {
  return made(
    must(await api.POST("/v1/users/{user_id}/second-factor-reset", { params: { path: { user_id: id } } })),
  );
}

export async function issueKey(participant: string, body: Schemas["ApiKeyIn"]): Promise<Made> {
  const answer = must(await api.POST("/v1/participants/{name}/api-keys", { params: { path: { name: participant } }, body }));
  return isDraft(answer) ? { kind: "drafted", draft: answer } : { kind: "made", secrets: { api_key: answer.api_key } };
}

/** Revoke a key: done (null), or the draft that holds it. */
export async function revokeKey(participant: string, prefix: string): Promise<Draft | null> {
  const answer = await api.DELETE("/v1/participants/{name}/api-keys/{prefix}", {
    params: { path: { name: participant, prefix } },
  });
  if (answer.response.status === 204) return null;
  return must(answer);
}

export async function reveal(draftId: number): Promise<Secrets> {
  return must(await api.POST("/v1/drafts/{draft_id}/reveal", { params: { path: { draft_id: draftId } } }));
}
