<?php
/**
 * Delivery dates for Assay: where Advanced Shipment Tracking or TrackShip knows when the parcel arrived, the order
 * carries it as `_assay_delivered_at` (ISO 8601, UTC), which Assay reads as the order's delivered_at, so "from
 * receipt" windows start on the real date.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Copies the tracking plugins' delivery date onto the order.
 */
class Assay_Delivery {
	const META = '_assay_delivered_at';

	/**
	 * Hook the moments a delivery becomes known.
	 */
	public function register(): void {
		// AST's (and TrackShip's) "Delivered" order status.
		add_action( 'woocommerce_order_status_delivered', array( $this, 'record' ), 10, 2 );
		// TrackShip updates its shipment_status meta as the carrier reports; the order is saved after it.
		add_action( 'woocommerce_before_order_object_save', array( $this, 'record_from_object' ) );
	}

	/**
	 * The order moved to Delivered.
	 *
	 * @param int           $order_id The order's id.
	 * @param WC_Order|null $order    The order.
	 */
	public function record( $order_id, $order = null ): void {
		$order = $order ? $order : wc_get_order( $order_id );
		if ( $order && $this->stamp( $order, time() ) ) {
			$order->save();
		}
	}

	/**
	 * Before any order save: TrackShip's delivered date, when it has one (saved with the order, no second save).
	 *
	 * @param WC_Order $order The order being saved.
	 */
	public function record_from_object( $order ): void {
		$this->stamp( $order, null );
	}

	/**
	 * Put the delivery date on the order unless it has one; TrackShip's date wins over `$fallback` (now).
	 *
	 * @param WC_Order $order    The order.
	 * @param int|null $fallback When, if no tracking plugin says.
	 * @return bool Whether the meta was set.
	 */
	public function stamp( $order, ?int $fallback ): bool {
		if ( '' !== (string) $order->get_meta( self::META ) ) {
			return false;
		}
		$when = $this->trackship_delivered( $order );
		$when = null !== $when ? $when : $fallback;
		if ( null === $when ) {
			return false;
		}
		$order->update_meta_data( self::META, gmdate( 'Y-m-d\TH:i:s\Z', $when ) );
		return true;
	}

	/**
	 * TrackShip's delivery time: its `shipment_status` meta lists each parcel's status and status_date (UTC).
	 * An order of several parcels is delivered when the last one is.
	 *
	 * @param WC_Order $order The order.
	 */
	public function trackship_delivered( $order ): ?int {
		$parcels = $order->get_meta( 'shipment_status' );
		if ( ! is_array( $parcels ) || array() === $parcels ) {
			return null;
		}
		$latest = null;
		foreach ( $parcels as $parcel ) {
			if ( ! is_array( $parcel ) || 'delivered' !== ( $parcel['status'] ?? '' ) ) {
				return null;
			}
			$when = strtotime( (string) ( $parcel['status_date'] ?? '' ) . ' UTC' );
			if ( false === $when ) {
				return null;
			}
			$latest = max( (int) $latest, $when );
		}
		return $latest;
	}
}
