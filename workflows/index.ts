export { pingWorkflow } from './ping';
export { connectionWorkflow } from './connection/workflow';
export { webhookDeliveryWorkflow } from './webhook-delivery/workflow';
