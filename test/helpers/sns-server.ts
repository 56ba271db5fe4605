import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { listenOnLoopback, readBody } from './loopback.ts';

export interface PublishCall {
  params: Record<string, string>;
  authorization: string | undefined;
}

export interface SnsServer {
  endpoint: string;
  publishes: PublishCall[];
  close(): Promise<void>;
}

/**
 * A loopback endpoint that speaks the SNS Query API's Publish action (form-encoded request,
 * XML response), enough for the real `@aws-sdk/client-sns` to publish to it. `fail` makes it
 * answer the n-th request with an SNS error instead.
 */
export async function startSnsServer(
  fail: (index: number) => { status: number; code: string; message: string } | undefined = () => undefined,
): Promise<SnsServer> {
  const publishes: PublishCall[] = [];
  let index = 0;
  const server = createServer(async (req, res) => {
    const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const failure = fail(index++);
    const requestId = randomUUID();
    res.setHeader('content-type', 'text/xml');
    if (failure) {
      res.statusCode = failure.status;
      res.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${failure.code}</Code><Message>${failure.message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    if (params.Action !== 'Publish') {
      res.statusCode = 400;
      res.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    publishes.push({ params, authorization: req.headers.authorization });
    res.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });
  const { port, close } = await listenOnLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, publishes, close };
}
