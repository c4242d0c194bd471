// An OpenID Connect provider for the single sign-on tests: panva's oidc-provider (OpenID
// certified), with its development login form (any login, any password) and one
// confidential client. Started by tests/support/oidc.py:
//
//   node oidc_provider.mjs '{"port": 4000, "client_id": "...", "client_secret": "...",
//                            "redirect_uris": ["http://127.0.0.1:8000/..."]}'
//
// A user's claims: sub and preferred_username are the login typed into the form, email is
// <login>@idp.test. `POST /__test__/tamper` with a JSON object of claims makes the next
// token responses carry an ID token with those claims written into its payload after it
// was signed (`{}`: honest again), so a test can show the relying party checks signatures.
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'profile', 'email'],
  // Every client, confidential ones too, must send a PKCE S256 challenge.
  pkce: { required: () => true },
  cookies: { keys: ['oidc-test-cookie-key-not-secret'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email: `${id}@idp.test`, email_verified: true };
      },
    };
  },
});

let tamper = {};

function tampered(body) {
  const tokens = JSON.parse(body);
  if (typeof tokens.id_token === 'string') {
    const [header, payload, signature] = tokens.id_token.split('.');
    const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...tamper };
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
    tokens.id_token = [header, forged, signature].join('.');
  }
  return JSON.stringify(tokens);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__test__/tamper') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      tamper = JSON.parse(body);
      res.writeHead(204).end();
    });
    return;
  }
  if (Object.keys(tamper).length > 0 && req.url === '/token') {
    const { end } = res;
    res.end = function endTampered(chunk, ...rest) {
      if (chunk !== undefined && res.statusCode === 200) {
        const altered = tampered(chunk.toString());
        res.setHeader('Content-Length', Buffer.byteLength(altered));
        return end.call(res, altered, ...rest);
      }
      return end.call(res, chunk, ...rest);
    };
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
