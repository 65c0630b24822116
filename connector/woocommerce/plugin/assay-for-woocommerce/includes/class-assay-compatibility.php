<?php
/**
 * The WooCommerce features this plugin declares itself compatible with, and why each holds.
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Declares feature compatibility to WooCommerce, on before_woocommerce_init.
 */
class Assay_Compatibility {
	/**
	 * Feature id => whether the plugin works with it on.
	 *
	 * - custom_order_tables (HPOS): orders are read and written only through wc_get_order() and WC_Order (meta by
	 *   get_meta/update_meta_data/save, the status hooks), never the posts tables.
	 * - cart_checkout_blocks: the plugin adds nothing to the cart or checkout (its form lives in My Account and a
	 *   shortcode), so the Cart and Checkout blocks lose nothing.
	 */
	const FEATURES = array(
		'custom_order_tables'  => true,
		'cart_checkout_blocks' => true,
	);

	/**
	 * Tell WooCommerce, when its FeaturesUtil exists (WooCommerce 7.1 and later).
	 */
	public static function declare_features(): void {
		if ( ! class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			return;
		}
		foreach ( self::FEATURES as $feature => $compatible ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( $feature, ASSAY_WC_FILE, $compatible );
		}
	}
}
