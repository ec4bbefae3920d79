export * from './serverless-offline';
