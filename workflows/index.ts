export { pingWorkflow } from './ping';
export { connectionWorkflow } from './connection/workflow';
