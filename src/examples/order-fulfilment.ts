import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/**
 * Order fulfilment: validate the order, then charge the card and reserve stock in parallel, wait (a
 * durable sleep: it survives a restart), and ship. The payment gateway is flaky on the first attempt,
 * so `charge-card` retries.
 */
const item = z.object({ sku: z.string(), quantity: z.number().int().positive(), unitPrice: z.number().nonnegative() });
const order = z.object({ orderId: z.string(), customerEmail: z.string().email(), items: z.array(item).min(1) });
const validated = z.object({ orderId: z.string(), customerEmail: z.string(), total: z.number(), skus: z.array(z.string()) });

const validateOrder = createStep({
  id: 'validate-order',
  description: 'Checks the order and computes its total',
  inputSchema: order,
  outputSchema: validated,
  execute: async ({ inputData }) => ({
    orderId: inputData.orderId,
    customerEmail: inputData.customerEmail,
    total: Math.round(inputData.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0) * 100) / 100,
    skus: inputData.items.map((i) => i.sku),
  }),
});

const chargeCard = createStep({
  id: 'charge-card',
  description: 'Charges the customer (the gateway times out on the first attempt)',
  inputSchema: validated,
  outputSchema: z.object({ chargeId: z.string(), amount: z.number() }),
  retries: 3,
  execute: async ({ inputData, retryCount }) => {
    if (retryCount === 0) throw new Error('payment gateway timed out');
    return { chargeId: `ch_${inputData.orderId}`, amount: inputData.total };
  },
});

const reserveStock = createStep({
  id: 'reserve-stock',
  description: 'Reserves every SKU in the warehouse',
  inputSchema: validated,
  outputSchema: z.object({ reservationId: z.string(), skus: z.array(z.string()) }),
  execute: async ({ inputData }) => {
    await new Promise((r) => setTimeout(r, 150));
    return { reservationId: `res_${inputData.orderId}`, skus: inputData.skus };
  },
});

const ship = createStep({
  id: 'ship',
  description: 'Books the courier',
  inputSchema: z.object({
    'charge-card': z.object({ chargeId: z.string(), amount: z.number() }),
    'reserve-stock': z.object({ reservationId: z.string(), skus: z.array(z.string()) }),
  }),
  outputSchema: z.object({ trackingNumber: z.string(), charged: z.number() }),
  execute: async ({ inputData }) => ({
    trackingNumber: `TRK-${inputData['reserve-stock'].reservationId.toUpperCase()}`,
    charged: inputData['charge-card'].amount,
  }),
});

export const orderFulfilment = createWorkflow({
  id: 'order-fulfilment',
  description: 'Parallel payment and stock reservation with retries and a durable sleep before shipping',
  inputSchema: order,
  outputSchema: z.object({ trackingNumber: z.string(), charged: z.number() }),
  metadata: {
    exampleInput: { orderId: 'A-1001', customerEmail: 'ada@example.com', items: [{ sku: 'tea-01', quantity: 2, unitPrice: 4.5 }] },
  },
})
  .then(validateOrder)
  .parallel([chargeCard, reserveStock])
  .sleep(1500)
  .then(ship)
  .commit();
