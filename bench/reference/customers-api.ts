// Reference Customers API: plain Express + mysql2, the same SQL and JSON shapes as the real
// one, without contract validation, authentication or request logs. Only what the
// benchmark calls: GET /customers/{id} and GET /internal/customers/{id}.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { RowDataPacket } from 'mysql2/promise';
import { connectPool, HttpError, port, toCustomer } from './common';

const pool = connectPool();
const app = express();
app.use(express.json());

async function getCustomer(request: Request, response: Response) {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT id, name, email, phone, created_at, updated_at FROM customers WHERE id = ? AND deleted_at IS NULL',
    [Number(request.params.id)],
  );
  if (rows.length === 0) throw new HttpError(404, 'CUSTOMER_NOT_FOUND');
  response.json(toCustomer(rows[0]!));
}

app.get('/health', (_request, response) => {
  response.json({ status: 'ok' });
});
app.get('/customers/:id', getCustomer);
app.get('/internal/customers/:id', getCustomer);

app.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
  const status = error instanceof HttpError ? error.status : 500;
  response
    .status(status)
    .type('application/problem+json')
    .json({ status, code: error instanceof HttpError ? error.code : 'INTERNAL' });
});

const server = app.listen(port(), '127.0.0.1', () => {
  console.log(`reference customers-api listening on ${JSON.stringify(server.address())}`);
});
// Nothing here is measured on the way out: stop at once.
process.on('SIGTERM', () => process.exit(0));
