import { useState, type ReactNode } from 'react';

interface SecretOnceProps {
  title: string;
  secret: string;
  /** What else the operator must know (until when a previous secret still signs). */
  children?: ReactNode;
  /** The operator has stored it: the secret leaves the screen (and the console's memory). */
  onDone(): void;
}

/**
 * A signing secret the API shows exactly once (at registration and at each rotation): the
 * secret in full, a copy button, and the plain statement that it cannot be shown again. It
 * lives only in the screen's state, never in storage, and is gone once dismissed.
 */
export function SecretOnce({ title, secret, children, onDone }: SecretOnceProps) {
  const [copied, setCopied] = useState<'copied' | 'failed'>();

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  }

  return (
    <section className="card success secret-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">{title}</h2>
      <p>
        <strong>Store this signing secret now: you will not see it again.</strong> The console and the API
        never show it after this.
      </p>
      <div className="secret-row">
        <code className="secret" data-testid="webhook-secret">
          {secret}
        </code>
        <button
          type="button"
          className="button secondary small"
          aria-label="Copy the signing secret to the clipboard"
          onClick={() => void copy()}
        >
          Copy
        </button>
      </div>
      <p role="status" className="hint">
        {copied === 'copied'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'The browser did not allow copying: select the secret and copy it by hand.'
            : ''}
      </p>
      {children}
      <div className="actions">
        <button type="button" className="button primary" onClick={onDone}>
          I have stored the secret
        </button>
      </div>
    </section>
  );
}
