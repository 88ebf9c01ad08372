export { pingWorkflow } from './ping';
export { connectionWorkflow } from './connection/workflow';
export { paymentWorkflow } from './payment/workflow';
