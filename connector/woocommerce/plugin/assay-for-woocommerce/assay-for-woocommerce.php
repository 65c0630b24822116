<?php
/**
 * Plugin Name:          Assay for WooCommerce
 * Description:          Connects the store to Assay, which decides cancellation, return and warranty requests by the store's written policy.
 * Version:              1.2.1
 * Requires at least:    6.5
 * Requires PHP:         8.1
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.2
 * WC tested up to:      11.0
 * Author:               Assay
 * License:              GPL-2.0-or-later
 * Text Domain:          assay-for-woocommerce
 * Domain Path:          /languages
 *
 * @package Assay_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

define( 'ASSAY_WC_VERSION', '1.2.1' );
define( 'ASSAY_WC_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-assay-compatibility.php';
require_once __DIR__ . '/includes/class-assay-settings.php';
require_once __DIR__ . '/includes/class-assay-client.php';
require_once __DIR__ . '/includes/class-assay-admin.php';
require_once __DIR__ . '/includes/class-assay-connection.php';
require_once __DIR__ . '/includes/class-assay-request-form.php';
require_once __DIR__ . '/includes/class-assay-delivery.php';

add_action( 'before_woocommerce_init', array( 'Assay_Compatibility', 'declare_features' ) );

add_action(
	'plugins_loaded',
	static function () {
		if ( ! class_exists( 'WooCommerce' ) ) {
			return;
		}
		( new Assay_Admin() )->register();
		( new Assay_Connection() )->register();
		( new Assay_Request_Form() )->register();
		( new Assay_Delivery() )->register();
	}
);

register_activation_hook( __FILE__, array( 'Assay_Request_Form', 'activate' ) );
