/**
 * `npm run parley -- <command>`: sign up, sign in and chat from a terminal,
 * against the local stack or a deployed stage (by its outputs file).
 *
 *   sign-up <email> <password>     create an account; prints the code on the local stage
 *   confirm <email> <code>         confirm it with the emailed code
 *   sign-in <email> <password>     prints the user id and an access token
 *   me <token>                     GET /me (creates the profile on first call)
 *   befriend <token> <email>       send a friend request to the user with this email
 *   accept <token> <userId>        accept a friend request
 *   chats <token>                  list my conversations
 *   connect <token>                a wscat-style session: type JSON frames, or
 *                                  /send <userId|conversationId> <text>
 *
 * Options: --outputs <file> (default .local/outputs.json)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfirmSignUpCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import WebSocket from 'ws';
import { createApiClient } from '../shared/client/api-client';
import { stageEndpoints } from '../shared/client/stage';
import {
  cognitoClientFor,
  findOutput,
  LOCAL_OUTPUTS_FILE,
  MAILBOX_URL_OUTPUT,
  mailboxCode,
  readStageOutputs,
  signIn,
} from './client/stage';

// Deployed functions run nodejs22.x; the SDK's warning about this terminal's Node version is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const args = process.argv.slice(2);
const outputsIndex = args.indexOf('--outputs');
const outputsFile = outputsIndex >= 0 ? (args.splice(outputsIndex, 2)[1] as string) : LOCAL_OUTPUTS_FILE;
const outputs = readStageOutputs(outputsFile);
const stage = stageEndpoints(outputs);
const mailboxUrl = findOutput(outputs, MAILBOX_URL_OUTPUT);
const cognito = cognitoClientFor(stage);
const [command, ...rest] = args;

const api = (token: string) => createApiClient({ baseUrl: stage.httpApiUrl, accessToken: () => token });

function usage(): never {
  console.error(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('*/')[0]
      ?.replace(/^\/\*\*?|^ \* ?/gm, ''),
  );
  process.exit(2);
}

switch (command) {
  case 'sign-up': {
    const [email, password] = rest;
    if (!email || !password) usage();
    await cognito.send(
      new SignUpCommand({
        ClientId: stage.userPoolClientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    console.log(`Signed up ${email}. A verification code was sent.`);
    if (mailboxUrl) {
      const code = await mailboxCode(mailboxUrl, email);
      console.log(`Local mailbox: code ${code}  (next: npm run parley -- confirm ${email} ${code})`);
    }
    break;
  }
  case 'confirm': {
    const [email, code] = rest;
    if (!email || !code) usage();
    await cognito.send(
      new ConfirmSignUpCommand({ ClientId: stage.userPoolClientId, Username: email, ConfirmationCode: code }),
    );
    console.log(`Confirmed ${email}.`);
    break;
  }
  case 'sign-in': {
    const [email, password] = rest;
    if (!email || !password) usage();
    const { userId, accessToken } = await signIn(cognito, stage, email, password);
    console.log(`User id:      ${userId}\nAccess token: ${accessToken}`);
    break;
  }
  case 'me': {
    const [token] = rest;
    if (!token) usage();
    console.log(await api(token).getMe());
    break;
  }
  case 'befriend': {
    const [token, email] = rest;
    if (!token || !email) usage();
    console.log(await api(token).sendFriendRequest({ body: { email } }));
    break;
  }
  case 'accept': {
    const [token, userId] = rest;
    if (!token || !userId) usage();
    console.log(await api(token).acceptFriendRequest({ params: { userId } }));
    break;
  }
  case 'chats': {
    const [token] = rest;
    if (!token) usage();
    console.log(JSON.stringify(await api(token).listConversations(), null, 2));
    break;
  }
  case 'connect': {
    const [token] = rest;
    if (!token) usage();
    const ws = new WebSocket(`${stage.webSocketUrl}?token=${encodeURIComponent(token)}`);
    ws.on('unexpected-response', (_request, response) => {
      console.error(`Refused: ${response.statusCode}`);
      process.exit(1);
    });
    ws.on('open', () => {
      console.log('Connected. Type a JSON frame, or /send <userId|conversationId> <text>.');
      createInterface({ input: process.stdin }).on('line', (line) => {
        const send = /^\/send\s+(\S+)\s+(.+)$/.exec(line);
        // A dev convenience: the text is only base64-encoded here, not encrypted.
        const frame = send
          ? JSON.stringify({
              action: 'send',
              [send[1]?.startsWith('d_') ? 'conversationId' : 'recipientId']: send[1],
              messageId: randomUUID(),
              body: Buffer.from(send[2] as string).toString('base64'),
            })
          : line;
        console.log(`> ${frame}`);
        ws.send(frame);
      });
    });
    ws.on('message', (data) => {
      const text = data.toString();
      console.log(`< ${text}`);
      try {
        const frame = JSON.parse(text) as { type?: string; body?: string };
        if (frame.type === 'message' && frame.body) {
          console.log(`  (body as text: ${Buffer.from(frame.body, 'base64').toString('utf8')})`);
        }
      } catch {
        // Not JSON: shown as is.
      }
    });
    ws.on('close', (code, reason) => {
      console.log(`Closed: ${code} ${reason.toString()}`);
      process.exit(0);
    });
    break;
  }
  default:
    usage();
}
cognito.destroy();
