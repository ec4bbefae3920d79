import { useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import type { Problem } from '../contract-types';
import type { Session } from '../session';
import { Field } from '../ui/field';
import { ProblemAlert } from '../ui/problem-alert';

interface LoginScreenProps {
  /** Why the operator is here again (the session expired or was refused). */
  notice: string | undefined;
  onLoggedIn(session: Session): void;
}

export function LoginScreen({ notice, onLoggedIn }: LoginScreenProps) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const fieldErrors = fieldErrorsOf(problem, { operation: ['customers', 'POST /auth/token'] });

  async function logIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const startedAt = Date.now();
    const { data, error, response } = await api.customers.POST('/auth/token', {
      body: { username, password },
    });
    setBusy(false);
    if (data) {
      onLoggedIn({ username, token: data.access_token, expiresAt: startedAt + data.expires_in * 1000 });
    } else {
      setProblem(problemOf(error, response));
    }
  }

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={logIn} noValidate aria-busy={busy}>
        <h1>Operator console</h1>
        <p className="muted">B2B Orders Backoffice</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <Field label="Username" error={fieldErrors.username}>
          {(control) => (
            <input
              {...control}
              name="username"
              autoComplete="username"
              autoFocus
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
          )}
        </Field>
        <Field label="Password" error={fieldErrors.password}>
          {(control) => (
            <input
              {...control}
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          )}
        </Field>
        {problem && <ProblemAlert problem={problem} fieldsShown={['body.username', 'body.password']} />}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
